// The training core's gradient hook for data parallelism: the gradients of an optimizer update, averaged
// over the ranks in rank order (one flat buffer), and the update's loss, averaged alike. Every rank then
// clips, checks and steps on the same numbers, so a NaN or ∞ on any rank skips the update on every rank.

import Foundation
import RLHFDistributed
import RLHFNN

/// Averages gradients and the loss over the ranks of `group` (`GradientReduction` for `mpirun` runs).
public final class DataParallelReduction: GradientReduction {
    /// The ranks.
    public let group: ProcessGroup

    /// A reduction over `group`.
    public init(group: ProcessGroup) { self.group = group }

    /// Averages the gradients in place and returns the mean loss; a failed collective stops the job.
    public func reduce(_ parameters: [Parameter], loss: Double) -> Double {
        do {
            try group.averageGradients(parameters)
            return try group.mean(loss)
        } catch {
            FileHandle.standardError.write(Data("error: rank \(group.rank) of \(group.size): \(error)\n".utf8))
            group.abort(code: 1)
        }
    }
}
