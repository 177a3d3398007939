// `rlhf bench <name> [--json]`: speed figures, one JSON object per line with --json.

import ArgumentParser
import Foundation
import RLHFBench

/// The benchmarks `rlhf bench` knows.
enum BenchName: String, ExpressibleByArgument, CaseIterable {
    case gemm, ops
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed (compare with PyTorch: `make bench`).",
        discussion: "gemm: GFLOP/s of square and transformer-shaped products. ops: ms of forward+backward of the fused kernels at B=32, T=128, C=384, 12 heads, vocabulary 49152. Threads: RLHF_NUM_THREADS (default: all cores).")

    @Argument(help: "Which benchmark: \(BenchName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var name: BenchName

    @Flag(help: "Print one JSON object per line.")
    var json = false

    @Option(help: "Only the metrics whose name contains this text (ops).")
    var filter: String?

    func run() throws {
        let report: (BenchResult) -> Void = { r in
            print(json ? r.jsonLine : r.humanLine)
            fflush(nil)
        }
        switch name {
        case .gemm: runGemmBench(report: report)
        case .ops: runOpsBench(filter: filter, report: report)
        }
    }
}
