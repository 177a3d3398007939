// The processes of a data-parallel run, over Open MPI. A process started by `mpirun` joins the world of
// its job (rank, size, and its place among the ranks on its host); one started any other way is a world of
// one, and every collective below is then a no-op that returns its input, without touching MPI.
//
// Collectives that decide training numbers are deterministic and identical on every rank:
//   sum in rank order   each rank owns a contiguous chunk of the flat buffer; every rank sends each owner
//                       its copy of that chunk (all-to-all), the owner sums the copies in rank order
//                       0, 1, …, N − 1, and the sums are gathered by all (all-gather). Each element is
//                       added in the same order whatever MPI's own algorithms do, so every rank holds the
//                       same bits; the traffic, 2 (N − 1)/N of the buffer per rank, is a ring allreduce's.
// MPI's own MPI_Allreduce is used only for figures that do not feed back into training (timings).

import CMPIShim
import Foundation

/// What went wrong in a collective (a rank died, the network failed, MPI refused).
public enum DistributedError: Error, CustomStringConvertible, Equatable, Sendable {
    /// MPI returned `code` in `operation`.
    case mpi(operation: String, code: Int32, message: String)
    /// The ranks disagree on something they must share (`what`).
    case mismatch(what: String, reason: String)

    public var description: String {
        switch self {
        case let .mpi(operation, code, message):
            return "rank communication failed in \(operation) (MPI error \(code)\(message.isEmpty ? "" : ": " + message)); "
                + "another rank has probably died"
        case let .mismatch(what, reason): return "the ranks disagree on \(what): \(reason)"
        }
    }
}

/// The ranks of the job this process belongs to.
///
/// Collectives are called from one thread (MPI is initialised with MPI_THREAD_FUNNELED; the training loop
/// calls them between steps); the group keeps reusable buffers, which is why it is `@unchecked Sendable`.
public final class ProcessGroup: @unchecked Sendable {
    /// This process's rank, 0 ..< size.
    public let rank: Int
    /// Processes in the job.
    public let size: Int
    /// This process's rank among the job's processes on its host.
    public let localRank: Int
    /// The job's processes on this host.
    public let localSize: Int

    /// Whether this is rank 0, the one that logs, prints and writes checkpoints.
    public var isMain: Bool { rank == 0 }
    /// Whether there is more than one process.
    public var isDistributed: Bool { size > 1 }

    /// Receive buffers of `sumInRankOrder`, kept between calls.
    private var scratch: [Float] = []
    /// The flat gradient of `averageGradients`, kept between calls.
    var gradientBuffer: [Float] = []

    private init(rank: Int, size: Int, localRank: Int, localSize: Int) {
        self.rank = rank; self.size = size; self.localRank = localRank; self.localSize = localSize
    }

    /// A world of one process (no MPI).
    public static let single = ProcessGroup(rank: 0, size: 1, localRank: 0, localSize: 1)

    /// The world: the MPI job when this process was started by `mpirun` (MPI is initialised on first use),
    /// else `single`.
    public static var world: ProcessGroup { worldOnce.group }

    /// Whether this process was started by `mpirun` (without initialising MPI).
    public static var isLaunchedByMPI: Bool { rlhf_mpi_launched() != 0 }

    /// Ends MPI when it was started (call once, before exiting normally).
    public static func finalize() {
        if rlhf_mpi_active() != 0 { _ = rlhf_mpi_finalize() }
    }

    /// Stops every rank of the job at once (after an error on this one, so that the others do not wait in
    /// a collective for a rank that will never come).
    public func abort(code: Int32) -> Never {
        if isDistributed && rlhf_mpi_active() != 0 { rlhf_mpi_abort(code) }
        exit(code)
    }

    private final class Once: @unchecked Sendable {
        lazy var group: ProcessGroup = {
            guard rlhf_mpi_launched() != 0 else { return .single }
            var rank: Int32 = 0, size: Int32 = 1, localRank: Int32 = 0, localSize: Int32 = 1
            let rc = rlhf_mpi_init(&rank, &size, &localRank, &localSize)
            guard rc == 0 else {
                FileHandle.standardError.write(Data("error: MPI_Init failed (\(rc)): \(String(cString: rlhf_mpi_error_string(rc)))\n".utf8))
                exit(1)
            }
            return ProcessGroup(rank: Int(rank), size: Int(size), localRank: Int(localRank), localSize: Int(localSize))
        }()
    }
    private static let worldOnce = Once()

    // MARK: Collectives

    private func check(_ rc: Int32, _ operation: String) throws {
        guard rc == 0 else { throw DistributedError.mpi(operation: operation, code: rc, message: String(cString: rlhf_mpi_error_string(rc))) }
    }

    /// Waits until every rank has come here.
    public func barrier() throws {
        guard isDistributed else { return }
        try check(rlhf_mpi_barrier(), "barrier")
    }

    /// Rank `root`'s values (bytes, floats, …), in place on every rank (each passes an array of the same
    /// length).
    public func broadcast<T: BitwiseCopyable>(_ values: inout [T], from root: Int = 0) throws {
        guard isDistributed else { return }
        let sizes = try allGather(Int64(values.count))
        guard sizes.allSatisfy({ $0 == Int64(values.count) }) else {
            throw DistributedError.mismatch(what: "a broadcast's size", reason: "elements per rank \(sizes)")
        }
        try values.withUnsafeMutableBytes { try check(rlhf_mpi_bcast_bytes($0.baseAddress, Int64($0.count), Int32(root)), "broadcast") }
    }

    /// Every rank's value, in rank order.
    public func allGather(_ value: Int64) throws -> [Int64] {
        guard isDistributed else { return [value] }
        var out = [Int64](repeating: 0, count: size)
        try check(rlhf_mpi_allgather_int64(value, &out), "allgather")
        return out
    }

    /// Every rank's bytes (of any length), in rank order.
    public func allGather(_ bytes: [UInt8]) throws -> [[UInt8]] {
        guard isDistributed else { return [bytes] }
        let counts = try allGather(Int64(bytes.count)).map { Int32($0) }
        var displs = [Int32](repeating: 0, count: size)
        for r in 1..<size { displs[r] = displs[r - 1] + counts[r - 1] }
        let total = Int(displs[size - 1] + counts[size - 1])
        var out = [UInt8](repeating: 0, count: total)
        try bytes.withUnsafeBytes { send in
            try out.withUnsafeMutableBytes { recv in
                try check(rlhf_mpi_allgatherv_bytes(send.baseAddress, Int32(bytes.count), recv.baseAddress, counts, displs), "allgather")
            }
        }
        return (0..<size).map { Array(out[Int(displs[$0])..<Int(displs[$0] + counts[$0])]) }
    }

    /// Every rank's doubles (of any length), in rank order.
    public func allGather(_ values: [Double]) throws -> [[Double]] {
        guard isDistributed else { return [values] }
        let bytes = values.withUnsafeBytes { Array($0) }
        return try allGather(bytes).map { b in
            b.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        }
    }

    /// The element-wise sum over ranks of `values` (the same length on every rank), added in rank order so
    /// that every rank gets the same bits (see the file's header).
    public func sumInRankOrder(_ values: [Float]) throws -> [Float] {
        var out = values
        try sumInRankOrder(&out)
        return out
    }

    /// As `sumInRankOrder(_:)`, in place.
    public func sumInRankOrder(_ values: inout [Float]) throws {
        guard isDistributed else { return }
        let n = values.count
        let lengths = try allGather(Int64(n))
        guard lengths.allSatisfy({ $0 == Int64(n) }) else {
            throw DistributedError.mismatch(what: "the gradient's size", reason: "floats per rank \(lengths) (the ranks train different parameters)")
        }
        // chunk r = [start(r), start(r + 1)) belongs to rank r
        let starts = (0...size).map { Int32(($0 * n) / size) }
        let chunk = Int(starts[rank + 1] - starts[rank])
        let counts = (0..<size).map { starts[$0 + 1] - starts[$0] }
        let displs = Array(starts[0..<size])
        let recvCounts = [Int32](repeating: Int32(chunk), count: size)
        let recvDispls = (0..<size).map { Int32($0 * chunk) }
        if scratch.count < chunk * (size + 1) { scratch = [Float](repeating: 0, count: chunk * (size + 1)) }   // kept: no page faults next time
        try values.withUnsafeMutableBufferPointer { buffer in
            try scratch.withUnsafeMutableBufferPointer { s in
                let copies = s.baseAddress!, mine = s.baseAddress! + chunk * size
                try check(rlhf_mpi_alltoallv_floats(buffer.baseAddress, counts, displs, copies, recvCounts, recvDispls), "alltoall")
                for i in 0..<chunk { mine[i] = 0 }
                for r in 0..<size {   // rank order 0, 1, …: the same on every owner
                    let base = copies + r * chunk
                    for i in 0..<chunk { mine[i] += base[i] }
                }
                try check(rlhf_mpi_allgatherv_floats(mine, Int32(chunk), buffer.baseAddress, counts, displs), "allgather")
            }
        }
    }

    /// The element-wise sum over ranks of `values` with MPI's own reduction (rounding may differ between
    /// ranks: only for figures that do not feed back into training, such as timings).
    public func sumForReport(_ values: [Double]) throws -> [Double] {
        guard isDistributed else { return values }
        var out = values
        try check(rlhf_mpi_allreduce_sum_doubles(&out, Int32(out.count)), "allreduce")
        return out
    }
}
