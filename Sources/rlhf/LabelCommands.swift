// `rlhf label`: collect human preferences. `init` generates response pairs into a SQLite database,
// `add-rater` prints a rater's one-time sign-in link, `serve` runs the labelling web app, `export` writes the
// labels as TRL preference pairs that `rlhf train-rm` and `rlhf dpo` read.

import ArgumentParser
import Foundation
import RLHFLabel

struct Label: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label",
        abstract: "Collect human preferences: generate response pairs, serve a labelling page, export preference pairs.",
        subcommands: [LabelInit.self, LabelAddRater.self, LabelServe.self, LabelExport.self])
}

struct LabelInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Generate two responses per prompt into a labelling database (resumable: run it again to finish).",
        discussion: """
            With --model alone, the two responses are two samples of the model; with --model-b, one response \
            comes from each model (the same sampling seed for both). A prompt's samples depend only on --seed and \
            its line, so an interrupted run resumes with the same pairs.
            """)

    @Option(help: "JSONL prompts ({\"prompt\": \"...\"} or a list of messages).") var prompts: String
    @Option(help: "Model A: an HF folder (an SFT checkpoint) or a .gguf file.") var model: String
    @Option(help: "A PEFT adapter folder applied on model A.") var adapter: String?
    @Option(help: "Model B (one response from each model).") var modelB: String?
    @Option(help: "A PEFT adapter folder applied on model B.") var adapterB: String?
    @Option(help: "The SQLite database to create or resume.") var db: String
    @Option(help: "Sampling temperature.") var temperature: Double = 0.7
    @Option(help: "Most new tokens per response.") var maxNewTokens: Int = 64
    @Option(help: "Random seed.") var seed: Int = 42
    @Option(help: "Prompts per generation batch (and per commit).") var batchSize: Int = 8
    @Flag(help: "No progress bar.") var noProgress = false

    func validate() throws {
        guard temperature > 0, temperature.isFinite else { throw ValidationError("--temperature must be > 0, got \(temperature)") }
        guard (1...4096).contains(maxNewTokens) else { throw ValidationError("--max-new-tokens must be in 1...4096, got \(maxNewTokens)") }
        guard (1...256).contains(batchSize) else { throw ValidationError("--batch-size must be in 1...256, got \(batchSize)") }
        if adapterB != nil && modelB == nil { throw ValidationError("--adapter-b needs --model-b") }
    }

    func run() throws {
        let database = try LabelDatabase(path: db)
        try database.createProject(
            LabelProjectSettings(
                promptsFile: prompts, modelA: model, adapterA: adapter, modelB: modelB, adapterB: adapterB, temperature: temperature,
                maxNewTokens: maxNewTokens, seed: seed))
        let made = try generateLabelPairs(db: database, batchSize: batchSize, progress: !noProgress, report: warn)
        let (promptCount, pairs) = try database.counts()
        output("\(db): \(pairs) pairs of \(promptCount) prompts (\(made) generated now)")
    }
}

struct LabelAddRater: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-rater",
        abstract: "Add a rater (or renew their link) and print their one-time sign-in link.")

    @Argument(help: "The rater's name.") var name: String
    @Option(help: "The labelling database.") var db: String
    @Option(help: "The server's address as raters reach it.") var url = "http://127.0.0.1:8080"

    func run() throws {
        let database = try LabelDatabase(path: db, create: false)
        _ = try database.requireSettings()
        let token = try database.addRater(name: name)
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        output("\(base)/signin?token=\(token)")
    }
}

struct LabelServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the labelling page, the admin status page and the runs view.",
        discussion: """
            The admin token is --admin-token, or the environment's RLHF_LABEL_ADMIN_TOKEN, or a random one; the \
            admin link is printed at start. Stop with Ctrl-C: every acknowledged label is already committed.
            """)

    @Option(help: "The labelling database.") var db: String
    @Option(help: "Address to bind (127.0.0.1: this machine only).") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port, printed).") var port = 8080
    @Option(help: "Raters per pair (2 or more to measure agreement).") var overlap = 1
    @Option(help: "The admin token (default: RLHF_LABEL_ADMIN_TOKEN, else random).") var adminToken: String?
    @Option(help: "The folder whose training runs /runs shows.") var runs = "output"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port)") }
        guard (1...100).contains(overlap) else { throw ValidationError("--overlap must be in 1...100, got \(overlap)") }
        if let t = givenAdminToken, t.count < 16 || !isTokenText(t) {
            let source = adminToken != nil ? "--admin-token" : "RLHF_LABEL_ADMIN_TOKEN"
            throw ValidationError("\(source) must have at least 16 characters, each a letter, a digit, '-' or '_'")
        }
    }

    /// `--admin-token`, else a non-empty RLHF_LABEL_ADMIN_TOKEN, else nil (a random token).
    var givenAdminToken: String? {
        adminToken ?? ProcessInfo.processInfo.environment["RLHF_LABEL_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func run() throws {
        let database = try LabelDatabase(path: db, create: false)
        var settings = LabelServerSettings()
        settings.host = host
        settings.port = port
        settings.policy = QueuePolicy(overlap: overlap)
        settings.runsRoot = runs
        if let token = givenAdminToken { settings.adminToken = token }
        let server = try LabelServer(db: database, settings: settings)
        let (prompts, pairs) = try database.counts()
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let token = settings.adminToken
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await server.run { bound in
                    // written at once, unbuffered: a script waiting for these lines reads them through a pipe
                    let lines =
                        "serving \(db) (\(pairs) pairs of \(prompts) prompts) on http://\(shownHost):\(bound)/\n"
                        + "admin: http://\(shownHost):\(bound)/admin?token=\(token)\n"
                    FileHandle.standardOutput.write(Data(lines.utf8))
                }
            } catch { outcome.error = error }
            done.signal()
        }
        done.wait()
        if let error = outcome.error { throw error }
    }

    /// The server task's error, handed to the waiting thread.
    final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: Error?
        var error: Error? {
            get { lock.withLock { stored } }
            set { lock.withLock { stored = newValue } }
        }
    }
}

struct LabelExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the labels as TRL explicit-prompt preference pairs (JSONL) for rlhf train-rm and rlhf dpo.")

    @Option(help: "The labelling database.") var db: String
    @Option(help: "The JSONL file to write.") var out: String
    @Option(help: "Keep a pair only when at least this share of its labels agree with its majority.") var minAgreement: Double = 0
    @Flag(help: "Keep ties and \"both bad\" too, with an \"outcome\" column on every line.") var keepTies = false

    func validate() throws {
        guard (0...1).contains(minAgreement) else { throw ValidationError("--min-agreement must be in 0...1, got \(minAgreement)") }
    }

    func run() throws {
        let database = try LabelDatabase(path: db, create: false)
        _ = try database.requireSettings()
        let summary = try database.exportPreferences(to: out, options: ExportOptions(minAgreement: minAgreement, keepTies: keepTies))
        output("\(out): \(summary.line)")
    }
}
