// Running the built `rlhf` binary from the CLI tests: where it is, and one run with its exit status,
// standard output and standard error. A run that dies by a signal (a trap) fails the calling test.

import Foundation
import RLHFTestSupport
import XCTest

/// The built `rlhf` next to the test bundle.
var rlhfBinary: URL {
    for b in [Bundle.main] + Bundle.allBundles {
        for dir in [b.bundleURL, b.bundleURL.deletingLastPathComponent()] {
            let url = dir.appendingPathComponent("rlhf")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
    }
    XCTFail("rlhf binary not found near \(Bundle.main.bundleURL.path)")
    return Bundle.main.bundleURL
}

/// Runs `rlhf args`, feeding `stdin` to its standard input when given; fails the test when the process
/// dies by a signal instead of exiting.
func runRLHF(_ args: [String], stdin: Data? = nil, file: StaticString = #filePath, line: UInt = #line) throws
    -> (status: Int32, out: String, err: String)
{
    let p = Process()
    p.executableURL = rlhfBinary
    p.arguments = args
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    if stdin != nil { p.standardInput = input }
    try p.run()
    if let stdin {
        Thread.detachNewThread {
            input.fileHandleForWriting.write(stdin)
            try? input.fileHandleForWriting.close()
        }
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    XCTAssertEqual(p.terminationReason, .exit, "\(args.prefix(3)) died by signal \(p.terminationStatus)", file: file, line: line)
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// Runs `executable args` with `environment` added to this process's, and returns its exit status and
/// output; stops it after `timeout` seconds. Open MPI's variables for running as root are always set.
func runProcess(_ executable: String, _ args: [String], environment: [String: String] = [:], timeout: Double = 600) throws
    -> (status: Int32, out: String, err: String)
{
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    env["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"   // no CMA inside containers
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let watchdog = DispatchWorkItem { if p.isRunning { p.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    watchdog.cancel()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// Writes `dir/pipeline.yaml`, a pipeline of a few steps per stage on the real models (SFT and PPO with
/// LoRA r = 4), its stages writing to `dir/out`, and the 8 evaluation pairs it names.
func writeSmallPipeline(in dir: String) throws {
    let pairs = try String(contentsOfFile: repoRoot + "/examples/preferences/test.jsonl", encoding: .utf8).split(separator: "\n").prefix(8)
    try (pairs.joined(separator: "\n") + "\n").write(toFile: dir + "/pairs.jsonl", atomically: true, encoding: .utf8)
    let ex = repoRoot + "/examples"
    let yaml = """
        output_dir: \(dir)/out
        seed: 3
        sft:
          model: \(repoRoot)/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
          train_file: \(ex)/sft/train.jsonl
          max_length: 48
          per_device_train_batch_size: 2
          max_steps: 2
          progress: false
          lora_r: 4
        reward:
          model: \(repoRoot)/models/minilm
          train_file: \(ex)/preferences/train.jsonl
          eval_file: \(dir)/pairs.jsonl
          max_length: 64
          per_device_train_batch_size: 4
          max_steps: 2
          progress: false
        ppo:
          train_file: \(ex)/prompts/train.jsonl
          eval_file: \(ex)/prompts/test.jsonl
          eval_samples: 3
          response_length: 6
          per_device_train_batch_size: 2
          num_ppo_epochs: 1
          max_steps: 2
          progress: false
          lora_r: 4
          lora_targets: q_proj,v_proj
        """
    try yaml.write(toFile: dir + "/pipeline.yaml", atomically: true, encoding: .utf8)
}
