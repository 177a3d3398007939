// The training core's gradient hook for data parallelism: the gradients of an optimizer update, averaged
// over the ranks in rank order (one flat buffer), and the update's loss, averaged alike. Every rank then
// clips, checks and steps on the same numbers, so a NaN or ∞ on any rank skips the update on every rank.
//
// Fault injection for the tests: `RLHF_FAULT_NAN_GRADIENT=R:U` makes rank R's gradient NaN at its U-th
// update (counted from 1) before the reduction.

import Foundation
import RLHFDistributed
import RLHFNN
import RLHFTensor

/// Averages gradients and the loss over the ranks of `group` (`GradientReduction` for `mpirun` runs).
public final class DataParallelReduction: GradientReduction {
    /// The ranks.
    public let group: ProcessGroup

    /// Updates reduced so far.
    public private(set) var updates = 0
    /// The update at which this rank's gradient is made NaN (`RLHF_FAULT_NAN_GRADIENT`), if any.
    let faultAt: Int?

    /// A reduction over `group`.
    public init(group: ProcessGroup) {
        self.group = group
        let fault = ProcessInfo.processInfo.environment["RLHF_FAULT_NAN_GRADIENT"]?.split(separator: ":").compactMap { Int($0) } ?? []
        faultAt = fault.count == 2 && fault[0] == group.rank ? fault[1] : nil
    }

    /// Averages the gradients in place and returns the mean loss; a failed collective stops the job.
    public func reduce(_ parameters: [Parameter], loss: Double) -> Double {
        updates += 1
        if updates == faultAt, let p = parameters.first(where: { $0.grad != nil }) {
            p.value.replaceGrad(with: Tensor(Array(repeating: .nan, count: p.value.count), shape: p.shape))
        }
        do {
            try group.averageGradients(parameters)
            return try group.mean(loss)
        } catch {
            FileHandle.standardError.write(Data("error: rank \(group.rank) of \(group.size): \(error)\n".utf8))
            group.abort(code: 1)
        }
    }
}
