// Character classes against `tokenizers` for every code point U+0080…U+2FFFF. HF's tables are older than Swift's
// Unicode (16 for its regexes, 8.0/9.0 for BERT's categories), so this pins the age limits and the exceptions.
import XCTest
@testable import RLHFTokenizers

final class UnicodeClassTests: XCTestCase {
    func testEveryCodePointIsClassifiedAsHFDoes() throws {
        let classes = try Fixtures.goldens().unicodeClasses
        let predicates: [String: (Unicode.Scalar) -> Bool] = [
            "letter": { CharClass.of($0).contains(.letter) },
            "number": { CharClass.of($0).contains(.number) },
            "space": { CharClass.of($0).contains(.space) },
            "word": UnicodeClass.isWordCharacter,
            "bert_punctuation": UnicodeClass.isBertPunctuation,
            "bert_nonspacing_mark": UnicodeClass.isNonspacingMark,
            "strip_accents_mark": UnicodeClass.isMark,
            "bert_control": { UnicodeClass.isBertControl($0) || $0.value == 0xFFFD },
            "bert_whitespace": { UnicodeClass.isWhitespace($0) && !UnicodeClass.isBertControl($0) }
        ]
        XCTAssertEqual(Set(classes.keys), Set(predicates.keys))
        for (name, ranges) in classes.sorted(by: { $0.key < $1.key }) {
            let predicate = try XCTUnwrap(predicates[name])
            var member = [Bool](repeating: false, count: 0x30000)
            for r in ranges { for v in r[0]...r[1] { member[v] = true } }
            var wrong: [String] = []
            for v in 0x80..<0x30000 {
                guard let s = Unicode.Scalar(UInt32(v)) else { continue }
                if predicate(s) != member[v] { wrong.append("U+" + String(v, radix: 16, uppercase: true)) }
            }
            XCTAssertTrue(wrong.isEmpty, "\(name): \(wrong.count) code points differ from HF, e.g. \(wrong.prefix(8))")
        }
    }
}
