// rlhf: the command line. Parses, builds a config, calls the library; nothing else.
// Errors are one line `error: …` on stderr with a non-zero exit code.

import ArgumentParser
import Foundation

/// The root command.
struct RLHF: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rlhf",
        abstract: "RLHF in Swift, on the CPU: SFT, reward models, PPO and friends.",
        subcommands: [Generate.self, Tokenize.self, Inspect.self, TrainRM.self, Score.self, SFT.self, PPO.self, Pipeline.self, Bench.self, Demo.self]
    )
}

do {
    var command = try RLHF.parseAsRoot()
    try command.run()
} catch {
    let code = RLHF.exitCode(for: error)
    if code == .success { RLHF.exit(withError: error) }   // --help, --version
    let message = RLHF.message(for: error)
        .split(separator: "\n").first.map(String.init) ?? "\(error)"
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    Foundation.exit(code.rawValue)
}
