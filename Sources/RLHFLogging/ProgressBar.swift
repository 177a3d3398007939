// A tqdm-style progress line:
//   reward  37%|███▋      | 37/100 [00:12<00:20, 3.05 it/s] loss=0.412 accuracy=0.875
// On a terminal it redraws one line in place (`\r`) at most ten times a second; otherwise (CI logs, files) it
// prints a plain line at most every 5% of progress or 10 seconds, and at the end. The formatting is pure
// static functions, tested without a terminal or a clock.

// `@preconcurrency` on both imports: `stderr` is a mutable C global, which Swift 6 otherwise refuses to read,
// even in a default argument (Foundation re-exports Glibc, so both need it). The stream is only written through
// stdio, which locks it; nothing else in this file touches shared state.
@preconcurrency import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// A progress bar for a loop of `total` steps, drawn on a C stream (standard error by default).
///
/// ```swift
/// var bar = ProgressBar(total: 100, description: "reward")
/// for step in 1...100 { …; bar.update(completed: step, metrics: [("loss", loss)]) }
/// bar.finish()
/// ```
///
/// A resumed run passes `initial:` (the step it resumes after): the bar starts there and its rate and ETA
/// count only the work done since.
public struct ProgressBar {
    /// The number of steps at 100%.
    public let total: Int
    /// The label in front of the bar.
    public let description: String
    /// The step the bar started at (a resumed run's checkpoint step).
    public let initial: Int
    /// Steps completed so far.
    public private(set) var completed: Int

    private let stream: UnsafeMutablePointer<FILE>
    /// Redraw in place (`\r`) rather than print lines.
    private let isTerminal: Bool
    private let startTime: Double
    private var lastDrawTime: Double = -.infinity
    private var lastDrawCompleted: Int?
    /// The length (in characters) of the line on screen, to blank its tail when a shorter one replaces it.
    private var drawnLength = 0
    private var metrics: [(String, Double)] = []
    private var finished = false

    /// Terminal redraws at most this often (seconds).
    static let terminalInterval = 0.1
    /// Plain-line mode prints at most every this many seconds…
    static let plainInterval = 10.0
    /// …or every this fraction of `total`.
    static let plainFraction = 0.05
    /// The bar's width in cells.
    static let barWidth = 10

    /// A bar at step 0 (or `initial`), drawn on `stream`.
    ///
    /// - Parameters:
    ///   - total: the number of steps; 0 shows 100% at once.
    ///   - description: the label in front of the bar (e.g. "reward", "sft", "ppo").
    ///   - initial: the step a resumed run starts after; the rate counts only steps after it.
    ///   - stream: where to draw (standard error by default); a terminal gets one redrawn line.
    public init(
        total: Int, description: String, initial: Int = 0,
        stream: UnsafeMutablePointer<FILE> = stderr
    ) {
        self.init(
            total: total, description: description, initial: initial, stream: stream,
            isTerminal: isatty(fileno(stream)) == 1, startTime: Self.monotonicSeconds())
    }

    /// As the public init, with the terminal test and the clock's start given (for tests).
    init(
        total: Int, description: String, initial: Int, stream: UnsafeMutablePointer<FILE>, isTerminal: Bool,
        startTime: Double
    ) {
        self.total = max(0, total)
        self.description = description
        self.initial = initial
        self.completed = initial
        self.stream = stream
        self.isTerminal = isTerminal
        self.startTime = startTime
    }

    /// Records progress and redraws when due (see the type's description for how often).
    ///
    /// - Parameters:
    ///   - completed: steps completed so far (may exceed `total`).
    ///   - metrics: shown after the bar as `name=value`, in this order.
    public mutating func update(completed: Int, metrics: [(String, Double)] = []) {
        update(completed: completed, metrics: metrics, now: Self.monotonicSeconds())
    }

    /// ``update(completed:metrics:)`` at a given time (for tests).
    mutating func update(completed: Int, metrics: [(String, Double)], now: Double) {
        guard !finished else { return }
        self.completed = completed
        if !metrics.isEmpty { self.metrics = metrics }
        if shouldDraw(now: now) { draw(now: now) }
    }

    /// Draws the final state (if not already on screen) and ends the line. Calling it again does nothing.
    public mutating func finish() {
        finish(now: Self.monotonicSeconds())
    }

    /// ``finish()`` at a given time (for tests).
    mutating func finish(now: Double) {
        guard !finished else { return }
        if isTerminal || lastDrawCompleted != completed { draw(now: now) }
        if isTerminal { write("\n") }
        finished = true
        drawnLength = 0
    }

    /// Prints `message` on its own line without corrupting the bar: on a terminal the bar's line is cleared,
    /// the message printed, and the bar redrawn below it.
    public mutating func printMessage(_ message: String) {
        printMessage(message, now: Self.monotonicSeconds())
    }

    /// ``printMessage(_:)`` at a given time (for tests).
    mutating func printMessage(_ message: String, now: Double) {
        if isTerminal && drawnLength > 0 {
            write("\r" + String(repeating: " ", count: drawnLength) + "\r")
            drawnLength = 0
            write(message + "\n")
            draw(now: now)
        } else {
            write(message + "\n")
        }
    }

    // MARK: - Drawing

    private func shouldDraw(now: Double) -> Bool {
        let atEnd = total > 0 && completed >= total
        if isTerminal {
            return atEnd || now - lastDrawTime >= Self.terminalInterval
        }
        guard let last = lastDrawCompleted else { return true }
        if completed == last { return false }
        if atEnd { return true }
        let stride = max(1, Int((Double(total) * Self.plainFraction).rounded(.up)))
        return completed - last >= stride || now - lastDrawTime >= Self.plainInterval
    }

    private mutating func draw(now: Double) {
        let line = Self.render(
            description: description, completed: completed, total: total, initial: initial,
            elapsed: now - startTime, metrics: metrics)
        if isTerminal {
            let length = line.count
            let padding = drawnLength > length ? String(repeating: " ", count: drawnLength - length) : ""
            write("\r" + line + padding)
            drawnLength = length
        } else {
            write(line + "\n")
        }
        lastDrawTime = now
        lastDrawCompleted = completed
    }

    private func write(_ text: String) {
        fputs(text, stream)
        fflush(stream)
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    // MARK: - Formatting (pure)

    /// The whole line, e.g. `reward  37%|███▋      | 37/100 [00:12<00:20, 3.05 it/s] loss=0.412`.
    ///
    /// The rate counts steps after `initial` only; the ETA is the remaining steps at that rate (`?` before any
    /// step is done). `total` 0 shows 100%; `completed > total` shows a full bar and the real count.
    static func render(
        description: String, completed: Int, total: Int, initial: Int, elapsed: Double,
        metrics: [(String, Double)]
    ) -> String {
        let fraction = total > 0 ? min(1, max(0, Double(completed) / Double(total))) : 1
        let percent = String(Int((fraction * 100).rounded(.down)))
        let done = completed - initial
        let rate = elapsed > 0 && done > 0 ? Double(done) / elapsed : nil
        let remaining: Double? = rate.map { Double(max(0, total - completed)) / $0 }
        var line = description.isEmpty ? "" : description + " "
        line += String(repeating: " ", count: max(0, 3 - percent.count)) + percent + "%"
        line += "|" + bar(fraction: fraction, width: barWidth) + "| \(completed)/\(total)"
        line += " [" + duration(elapsed) + "<" + (remaining.map(duration) ?? "?") + ", " + rateText(rate) + "]"
        for (name, value) in metrics {
            line += " \(name)=" + number(value)
        }
        return line
    }

    /// `width` cells filled by `fraction`, in eighths: `███▋      ` for 0.37 of 10.
    static func bar(fraction: Double, width: Int) -> String {
        let eighths = Int((min(1, max(0, fraction)) * Double(width * 8)).rounded(.down))
        let full = eighths / 8
        let partial = eighths % 8
        let partials: [Character] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        var out = String(repeating: "█", count: full)
        if full < width {
            out.append(partials[partial])
            out += String(repeating: " ", count: width - full - 1)
        }
        return out
    }

    /// `MM:SS`, or `H:MM:SS` from an hour on; `?` when not finite.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let total = Int(max(0, seconds).rounded(.down))
        let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%02d:%02d", m, s)
    }

    /// `3.05 it/s`, or `2.50 s/it` when slower than a step a second; `? it/s` when unknown.
    static func rateText(_ stepsPerSecond: Double?) -> String {
        guard let rate = stepsPerSecond, rate.isFinite, rate > 0 else { return "? it/s" }
        return rate >= 1 ? String(format: "%.2f it/s", rate) : String(format: "%.2f s/it", 1 / rate)
    }

    /// A metric value with four significant digits (`0.412`, `1.235e-05`, `nan`).
    static func number(_ value: Double) -> String {
        String(format: "%.4g", value)
    }
}
