// Thread pool entry points: split a range of rows or heads across RLHF_NUM_THREADS workers, and keep
// OpenBLAS from starting threads of its own inside such a region (no oversubscription).

import CBLAS
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Parallel loops over index ranges.
public enum Parallel {
    /// Worker count: `RLHF_NUM_THREADS` when set to a positive integer, else the number of cores divided
    /// among the processes of an MPI job on this host (`OMPI_COMM_WORLD_LOCAL_SIZE`, set by `mpirun`), so
    /// that ranks sharing a host do not oversubscribe its cores.
    public static let threadCount: Int = {
        if let s = getenv("RLHF_NUM_THREADS"), let n = Int(String(cString: s)), n > 0 { return n }
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        if let s = getenv("OMPI_COMM_WORLD_LOCAL_SIZE"), let ranks = Int(String(cString: s)), ranks > 1 { return max(1, cores / ranks) }
        return cores
    }()

    /// Calls `body` on disjoint chunks covering `0..<count`, in parallel when the work is large enough.
    ///
    /// - Parameters:
    ///   - count: number of items.
    ///   - grain: the least number of items worth a chunk of its own.
    public static func forEachChunk(
        _ count: Int, grain: Int = 1,
        _ body: (Range<Int>) -> Void
    ) {
        forEachChunkIndexed(count, grain: grain) { _, r in body(r) }
    }

    /// The number of chunks `forEachChunkIndexed` uses for `count` items.
    public static func chunkCount(_ count: Int, grain: Int = 1) -> Int {
        min(threadCount, max(1, count / max(grain, 1)))
    }

    /// As `forEachChunk`, also passing the chunk's index in `0..<chunkCount(count, grain:)` (for
    /// per-chunk partial sums).
    public static func forEachChunkIndexed(
        _ count: Int, grain: Int = 1,
        _ body: (Int, Range<Int>) -> Void
    ) {
        if count <= 0 { return }
        let chunks = chunkCount(count, grain: grain)
        if chunks <= 1 { body(0, 0..<count); return }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                if lo < hi { box.value(c, lo..<hi) }
            }
        }
    }
}

/// Carries a non-Sendable value into `concurrentPerform`; the chunks it serves are disjoint.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// OpenBLAS thread control.
public enum BLAS {
    /// Keeps OpenBLAS single-threaded, once: our own workers (`RLHF_NUM_THREADS`) split every product
    /// (see Matmul), so its threads would only oversubscribe the cores.
    public static let configured: Void = {
        // our own workers split every product (see Matmul); OpenBLAS itself stays single-threaded
        openblas_set_num_threads(1)
    }()

    /// Runs `body` with OpenBLAS limited to `n` threads (restored afterwards). Use around regions that
    /// call `cblas_sgemm` from several of our own workers at once.
    public static func withThreads<T>(_ n: Int, _ body: () throws -> T) rethrows -> T {
        _ = configured
        let old = openblas_get_num_threads()
        if old == Int32(n) { return try body() }
        openblas_set_num_threads(Int32(n))
        defer { openblas_set_num_threads(old) }
        return try body()
    }
}
