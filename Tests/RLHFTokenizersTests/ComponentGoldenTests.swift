// Every pipeline component against HF `tokenizers`, stage by stage (normalizers, pre-tokenizers, decoders) and end to
// end on six small trained tokenizers that between them use every model option and post-processor.
import XCTest
@testable import RLHFTokenizers

final class ComponentGoldenTests: XCTestCase {
    func testNormalizers() throws {
        for set in try Fixtures.goldens().components.normalizers {
            let normalizer = try makeNormalizer(try Fixtures.node(set.json))
            for c in set.cases {
                let out = normalizer.normalize(AlignedText(Substring(c.text), base: 0)).string
                XCTAssertTrue(
                    out.scalarsEqual(c.normalized),
                    "\(set.json) on \(c.text.debugDescription): ours \(out.debugDescription), HF \(c.normalized.debugDescription)")
            }
        }
    }

    func testPreTokenizers() throws {
        for set in try Fixtures.goldens().components.preTokenizers {
            let pre = try makePreTokenizer(try Fixtures.node(set.json))
            for c in set.cases {
                var p = PreTokenized(AlignedText(Substring(c.text), base: 0))
                pre.preTokenize(&p)
                let pieces = p.pieces.map { p.text.string($0) }
                let offsets = hfCharOffsets(p.pieces.map { p.text.originalRange($0) }, in: c.text)
                XCTAssertEqual(pieces, c.pieces, "\(set.json) on \(c.text.debugDescription)")
                XCTAssertEqual(offsets, c.offsets, "offsets, \(set.json) on \(c.text.debugDescription)")
            }
        }
    }

    func testDecoders() throws {
        for set in try Fixtures.goldens().components.decoders {
            let decoder = try makeDecoder(try Fixtures.node(set.json))
            for c in set.cases {
                let out = decoder.decodeChain(c.tokens).joined()
                XCTAssertEqual(out, c.text, "\(set.json) on \(c.tokens)")
            }
        }
    }

    func testWholeTokenizers() throws {
        let sets = try Fixtures.goldens().components.tokenizers
        XCTAssertEqual(sets.count, 6)
        for set in sets {
            let tok = try Fixtures.tokenizer(json: set.json)
            for c in set.cases {
                let label =
                    "\(set.name): \(c.text.debugDescription)\(c.pair.map { " + \($0.debugDescription)" } ?? ""), special \(c.addSpecialTokens)"
                let e = tok.encode(c.text, pair: c.pair, addSpecialTokens: c.addSpecialTokens)
                XCTAssertEqual(e.ids, c.ids, label)
                XCTAssertEqual(e.tokens, c.tokens, label)
                XCTAssertEqual(e.typeIds, c.typeIds, label)
                if let offsets = c.offsets { XCTAssertEqual(hfCharOffsets(e.offsets, in: c.text), offsets, "offsets, " + label) }
                if c.pair == nil { XCTAssertEqual(tok.encode(c.text, addSpecialTokens: c.addSpecialTokens), c.ids, label) }
                if let decoded = c.decoded { XCTAssertEqual(tok.decode(c.ids), decoded, "decode, " + label) }
                if let decoded = c.decodedSkip {
                    XCTAssertEqual(tok.decode(c.ids, skipSpecialTokens: true), decoded, "decode skip, " + label)
                }
            }
        }
    }

    /// Both spellings of `merges` give the same tokenizer.
    func testLegacyMergeStringsEqualPairs() throws {
        for set in try Fixtures.goldens().components.tokenizers where set.json.contains("\"BPE\"") {
            var root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(set.json.utf8)) as? [String: Any])
            var model = try XCTUnwrap(root["model"] as? [String: Any])
            let pairs = try XCTUnwrap(model["merges"] as? [[String]], "\(set.name): expected pair merges")
            model["merges"] = pairs.map { $0.joined(separator: " ") }
            root["model"] = model
            let legacy = String(decoding: try JSONSerialization.data(withJSONObject: root), as: UTF8.self)
            let a = try Fixtures.tokenizer(json: set.json), b = try Fixtures.tokenizer(json: legacy)
            for c in set.cases { XCTAssertEqual(b.encode(c.text), a.encode(c.text), "\(set.name): \(c.text.debugDescription)") }
        }
    }
}
