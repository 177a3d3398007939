// Encoding speed on the golden corpus: prints tokens/s, asserts nothing about time.
import Foundation
import XCTest
@testable import RLHFTokenizers

final class TokenizerSpeedTests: XCTestCase {
    private func measureTokensPerSecond(_ tok: Tokenizer, _ corpus: [String], label: String) {
        // Warm up (fills the BPE cache as retokenising PPO samples would), then time several passes; report the best.
        var tokens = 0
        for text in corpus { tokens += tok.encode(text).count }
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            var n = 0
            for text in corpus { n += tok.encode(text).count }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            XCTAssertEqual(n, tokens)
            best = min(best, seconds)
        }
        let bytes = corpus.reduce(0) { $0 + $1.utf8.count }
        print(
            String(
                format: "[speed] %@: %d strings, %d tokens, %.1f ms per pass: %.2f M tokens/s, %.1f MB/s (1 thread)",
                label, corpus.count, tokens, best * 1000, Double(tokens) / best / 1e6, Double(bytes) / best / 1e6))
    }

    func testPrintEncodingSpeed() throws {
        let corpus = try Fixtures.corpus()
        measureTokensPerSecond(try Fixtures.miniLM(), corpus, label: "MiniLM WordPiece")
        if let smol = try? Fixtures.smolLM2() {
            measureTokensPerSecond(smol, corpus, label: "SmolLM2 byte-level BPE")
            // Cold cache: a fresh tokenizer measures the BPE merge loop itself (only with the exported
            // tokenizer.json; the GGUF path builds the same tokenizer from the model file).
            let path = Fixtures.root.appendingPathComponent("models/smollm2/tokenizer.json").path
            guard FileManager.default.fileExists(atPath: path) else { return }
            let fresh = try Tokenizer.load(tokenizerJSON: path)
            let start = DispatchTime.now().uptimeNanoseconds
            var n = 0
            for text in corpus { n += fresh.encode(text).count }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print(String(format: "[speed] SmolLM2 cold cache: %.2f M tokens/s", Double(n) / seconds / 1e6))
            let loadStart = DispatchTime.now().uptimeNanoseconds
            _ = try Tokenizer.load(tokenizerJSON: path)
            print(
                String(
                    format: "[speed] SmolLM2 tokenizer.json load: %.0f ms",
                    Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e6))
        }
    }
}
