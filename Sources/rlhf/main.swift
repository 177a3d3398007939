// rlhf: the command line. Parses, builds a config, calls the library; nothing else.
// Errors are one line `error: …` on stderr with a non-zero exit code: 64 for bad command-line syntax
// (ArgumentParser's usage errors and `validate()` failures), 1 for everything else (library errors as the
// library describes them, and CLIError).

import ArgumentParser
import Foundation
import RLHFDistributed

/// The root command.
struct RLHF: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rlhf",
        abstract: "RLHF in Swift, on the CPU: SFT, reward models, PPO and friends.",
        subcommands: [
            Generate.self, Tokenize.self, Inspect.self, TrainRM.self, Score.self, SFT.self, DPO.self, PPO.self, GRPO.self, RLOO.self, Pipeline.self,
            Label.self,
            Bench.self,
            Demo.self
        ]
    )
}

/// Writes `error: <first line of message>` to standard error and exits with `code`. Under `mpirun` the
/// line names the rank, and the whole job stops (the other ranks would otherwise wait for this one).
func fail(_ message: String, code: Int32) -> Never {
    let line = message.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? message
    let world = ProcessGroup.isLaunchedByMPI ? ProcessGroup.world : .single
    let rank = world.isDistributed ? "rank \(world.rank) of \(world.size): " : ""
    FileHandle.standardError.write(Data("error: \(rank)\(line)\n".utf8))
    world.abort(code: code)
}

/// Prints a result line on standard output (under `mpirun`, on rank 0 only).
func output(_ line: String) {
    if ProcessGroup.world.isMain { print(line) }
}

/// What an error says of itself: the library's errors (and CLIError) their `description`; Foundation's
/// their localized description.
func describe(_ error: Error) -> String {
    if let text = (error as? LocalizedError)?.errorDescription { return text }
    if type(of: error) is NSError.Type { return error.localizedDescription }
    return String(describing: error)
}

/// Whether ArgumentParser made the error: its usage errors and help requests (also thrown by the `help`
/// command's run), and what commands throw in its terms (ValidationError, CleanExit, ExitCode).
func isArgumentParserError(_ error: Error) -> Bool {
    String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
}

/// ArgumentParser's own outcomes as it decides them: help (printed, exit 0), an ExitCode (nothing printed: the
/// command that threw it has reported), usage errors and failed validations (one line, exit 64).
func exitForArgumentParser(_ error: Error) -> Never {
    let code = RLHF.exitCode(for: error)
    let message = RLHF.message(for: error)
    if code == .success || message.isEmpty { RLHF.exit(withError: error) }
    fail(message, code: code.rawValue)
}

do {
    if ProcessGroup.isLaunchedByMPI { _ = ProcessGroup.world }   // MPI_Init before anything else
    var command = try RLHF.parseAsRoot()
    try command.run()
    ProcessGroup.finalize()
} catch  where isArgumentParserError(error) {
    exitForArgumentParser(error)
} catch {
    fail(describe(error), code: 1)   // the library's errors and CLIError
}
