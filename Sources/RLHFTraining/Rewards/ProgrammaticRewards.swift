// Rewards computed by a program rather than a model (GRPO's and RLOO's verifiable rewards), chosen by name in
// a config, as TRL takes Python functions: each reads the completions and the prompt rows' extra columns and
// gives each completion a reward, or none (nil: the function does not apply to that row, TRL's None).
//
//   exact_answer   1 when the completion states the row's `answer`, else 0; nil for a row without one.
//                  Both texts are normalised: Unicode compatibility-decomposed with the combining marks
//                  dropped ("París" → "paris"), lower-cased, digit-group commas dropped ("1,000" → "1000"),
//                  every character other than a letter, a digit, a point between two digits, or a minus
//                  sign before a digit that starts a word made a space, spaces collapsed. The answer must then appear as whole words: "paris" is in "it is
//                  paris." but "5" is not in "15"
//   format         1 when a regular expression (ICU syntax) matches somewhere in the completion, else 0;
//                  anchor it with ^ and $ to demand the whole completion
//   length         −max(0, tokens − target) / target: 0 up to `target` completion tokens, −1 at twice as many
//
// A function that returns NaN or ±∞ for a row is an error that names it and the prompt's line: a reward is a
// number or nothing, never a silent NaN step.

import Foundation
import RLHFData

/// A reward function of completions, named for its metrics (`rewards/<name>/mean`).
public protocol CompletionReward {
    /// The name in configs and metrics.
    var name: String { get }
    /// One reward per completion, nil where the function does not apply.
    ///
    /// - Parameters:
    ///   - prompts: the prompt row of each completion (its text and extra columns).
    ///   - completions: the decoded completions (special tokens dropped).
    ///   - completionIds: the completions' policy tokens.
    func rewards(prompts: [PPOPrompt], completions: [String], completionIds: [[Int]]) throws -> [Double?]
}

/// What is wrong with a reward function or what it returned.
public enum RewardFunctionError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The function returned a number that is not finite for the prompt on `line` of the prompt file.
    case notFinite(function: String, line: Int, value: Double)
    /// The function returned `got` rewards for `expected` completions.
    case wrongCount(function: String, expected: Int, got: Int)
    /// A setting of a built-in function is unusable (a pattern that does not compile).
    case badSetting(function: String, reason: String)

    public var description: String {
        switch self {
        case let .notFinite(function, line, value):
            return "reward function '\(function)' returned \(value) for the prompt on line \(line); a reward must be a finite number or none"
        case let .wrongCount(function, expected, got):
            return "reward function '\(function)' returned \(got) rewards for \(expected) completions"
        case let .badSetting(function, reason):
            return "reward function '\(function)': \(reason)"
        }
    }
}

/// Calls each function and checks what it returned: [completion][function], nil where a function gave none.
///
/// - Throws: the function's own error, or `RewardFunctionError` for a wrong count or a non-finite reward.
public func rewardsPerFunction(
    _ functions: [CompletionReward], prompts: [PPOPrompt], completions: [String], completionIds: [[Int]]
) throws -> [[Double?]] {
    var table = [[Double?]](repeating: [], count: completions.count)
    for f in functions {
        let r = try f.rewards(prompts: prompts, completions: completions, completionIds: completionIds)
        guard r.count == completions.count else { throw RewardFunctionError.wrongCount(function: f.name, expected: completions.count, got: r.count) }
        for (i, value) in r.enumerated() {
            if let value, !value.isFinite { throw RewardFunctionError.notFinite(function: f.name, line: prompts[i].line, value: value) }
            table[i].append(value)
        }
    }
    return table
}

/// Text as `exact_answer` compares it (see the file header).
public func normalizedAnswerText(_ text: String) -> String {
    let folded = text.decomposedStringWithCompatibilityMapping.unicodeScalars.filter {
        !$0.properties.isDiacritic && $0.properties.generalCategory != .nonspacingMark
    }
    let chars = Array(String(String.UnicodeScalarView(folded)).lowercased())
    var out = ""
    for (i, c) in chars.enumerated() {
        let between = i > 0 && i + 1 < chars.count && chars[i - 1].isNumber && chars[i + 1].isNumber
        if c.isLetter || c.isNumber {
            out.append(c)
        } else if c == "," && between {
            continue   // digit groups: 1,000 → 1000
        } else if c == "." && between {
            out.append(c)
        } else if c == "-" && i + 1 < chars.count && chars[i + 1].isNumber && (i == 0 || !(chars[i - 1].isLetter || chars[i - 1].isNumber)) {
            if out.last != " " && !out.isEmpty { out.append(" ") }
            out.append(c)   // a negative number: −20 is not 20
        } else if out.last != " " {
            out.append(" ")
        }
    }
    return out.trimmingCharacters(in: .whitespaces)
}

/// 1 when the completion states the row's answer (column `column`), 0 when not, nil without one.
public struct ExactAnswerReward: CompletionReward {
    /// The name in configs and metrics.
    public let name = "exact_answer"
    /// The prompt column holding the answer.
    public var column = "answer"

    /// A reward reading the answer from `column`.
    public init(column: String = "answer") { self.column = column }

    /// See the file header for the normalisation.
    public func rewards(prompts: [PPOPrompt], completions: [String], completionIds: [[Int]]) -> [Double?] {
        zip(prompts, completions).map { p, c in
            guard let answer = p.columns[column] else { return nil }
            let a = normalizedAnswerText(answer)
            guard !a.isEmpty else { return nil }
            return (" " + normalizedAnswerText(c) + " ").contains(" " + a + " ") ? 1 : 0
        }
    }
}

/// 1 when a regular expression matches somewhere in the completion, else 0.
public struct FormatReward: CompletionReward {
    /// The name in configs and metrics.
    public let name = "format"
    let expression: NSRegularExpression

    /// A reward for `pattern` (ICU syntax; `.` matches newlines too).
    ///
    /// - Throws: `RewardFunctionError.badSetting` when the pattern does not compile.
    public init(pattern: String) throws {
        do { expression = try NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]) } catch {
            throw RewardFunctionError.badSetting(function: "format", reason: "format_pattern '\(pattern)' is not a valid regular expression")
        }
    }

    /// 1 or 0 per completion.
    public func rewards(prompts: [PPOPrompt], completions: [String], completionIds: [[Int]]) -> [Double?] {
        completions.map { c in expression.firstMatch(in: c, range: NSRange(c.startIndex..., in: c)) != nil ? 1 : 0 }
    }
}

/// −max(0, tokens − target) / target per completion.
public struct LengthReward: CompletionReward {
    /// The name in configs and metrics.
    public let name = "length"
    /// Completion tokens allowed before the penalty starts.
    public let target: Int

    /// A penalty past `target` tokens (at least 1).
    public init(target: Int) { self.target = max(1, target) }

    /// 0 up to `target` tokens, then −1 per `target` tokens more.
    public func rewards(prompts: [PPOPrompt], completions: [String], completionIds: [[Int]]) -> [Double?] {
        completionIds.map { -Double(max(0, $0.count - target)) / Double(target) }
    }
}
