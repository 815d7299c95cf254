/// Parsed command-line options: flags in any spelling and order, option values and operands.
struct Options {
    /// Long options present (`--force`), and short letters present (`f`).
    var long: Set<String> = []
    var short: Set<Character> = []
    /// Values of options that take one, by spelling (`-X`, `--request`).
    var values: [String: [Field]] = [:]
    /// Non-option arguments in order.
    var operands: [Field] = []
    /// Operand positions in the original argument list.
    var operandIndices: [Int] = []

    /// True when `given` is `full` or an abbreviation of it at least `minimum` characters long (`--sym` for
    /// `--symbolic-link`), as GNU getopt accepts unique prefixes.
    static func abbreviates(_ given: String, _ full: String, _ minimum: Int) -> Bool {
        given.count >= minimum && full.hasPrefix(given)
    }

    /// Parses `args`; `withValue` names the options that take a value (`-X`, `--request`).
    init(_ args: [Field], withValue: Set<String> = [], stopAtFirstOperand: Bool = false) {
        var i = 0
        var afterDoubleDash = false
        while i < args.count {
            let f = args[i]
            let a = f.text
            if afterDoubleDash || !a.hasPrefix("-") || a == "-" || f.dynamic {
                operands.append(f)
                operandIndices.append(i)
                if stopAtFirstOperand { afterDoubleDash = true }
                i += 1
                continue
            }
            if a == "--" {
                afterDoubleDash = true
                i += 1
                continue
            }
            if a.hasPrefix("--") {
                if let eq = a.firstIndex(of: "=") {
                    let name = String(a[..<eq])
                    long.insert(name)
                    values[name, default: []].append(Field(String(a[a.index(after: eq)...])))
                } else {
                    long.insert(a)
                    if withValue.contains(a), i + 1 < args.count {
                        values[a, default: []].append(args[i + 1])
                        i += 1
                    }
                }
                i += 1
                continue
            }
            // Single-dash long options used by some tools (`-chdir=dir`, `-auto-approve`).
            if a.count > 2, withValue.contains(String(a.prefix(while: { $0 != "=" }))) || a.includes("=") {
                let name = String(a.prefix(while: { $0 != "=" }))
                long.insert(name)
                if let eq = a.firstIndex(of: "=") {
                    values[name, default: []].append(Field(String(a[a.index(after: eq)...])))
                } else if i + 1 < args.count {
                    values[name, default: []].append(args[i + 1])
                    i += 1
                }
                i += 1
                continue
            }
            long.insert(a)
            let letters = Array(a.dropFirst())
            var k = 0
            while k < letters.count {
                let ch = letters[k]
                short.insert(ch)
                if withValue.contains("-" + String(ch)) {
                    let rest = String(letters[(k + 1)...])
                    if !rest.isEmpty {
                        values["-" + String(ch), default: []].append(Field(rest))
                    } else if i + 1 < args.count {
                        values["-" + String(ch), default: []].append(args[i + 1])
                        i += 1
                    }
                    break
                }
                k += 1
            }
            i += 1
        }
    }

    /// True when any of the spellings is present: single letters match inside clusters (`-rf`).
    func has(_ names: String...) -> Bool {
        for n in names {
            if n.hasPrefix("--") || n.count > 2 {
                if long.contains(n) { return true }
            } else if n.count == 2, let ch = n.last, short.contains(ch) {
                return true
            }
        }
        return false
    }

    /// The last value of any of the spellings.
    func value(_ names: String...) -> Field? {
        for n in names { if let v = values[n]?.last { return v } }
        return nil
    }
}

/// Unique-prefix abbreviations of long options, which GNU getopt_long, git's parse-options, Python's argparse and
/// npm accept (`git push --forc`, `rm --recu --forc /`, `rsync --del`): each is written out in full before the
/// recognizers read the arguments. A prefix of one of the options that matter here means that option, or else it
/// is ambiguous and the tool refuses to run: either way nothing is lost by reading it as the option. (Go, cobra and
/// clap programs take no abbreviations and are left alone.)
enum LongOptions {
    static let table: [String: [String]] = [
        "git": [
            "--force", "--force-with-lease", "--force-if-includes", "--delete", "--mirror", "--hard", "--no-verify",
            "--prune", "--prune-tags", "--recurse-submodules", "--exec", "--expire", "--expire-unreachable",
            "--aggressive", "--all", "--tags", "--set-upstream", "--discard-changes", "--merge", "--orphan",
            "--staged", "--worktree", "--source", "--keep", "--interactive", "--onto", "--env-filter",
            "--index-filter", "--msg-filter", "--tree-filter", "--subdirectory-filter", "--replace-text",
            "--receive-pack", "--push-option", "--unset", "--strategy", "--strategy-option", "--dry-run",
            "--follow-tags",
            "--atomic", "--porcelain", "--signed", "--no-follow-tags",
        ],
        "rm": ["--recursive", "--force", "--no-preserve-root", "--dir", "--one-file-system", "--interactive"],
        "cp": ["--recursive", "--force", "--remove-destination", "--no-target-directory", "--symbolic-link", "--link"],
        "mv": ["--force", "--no-target-directory", "--target-directory"],
        "ln": ["--symbolic", "--force", "--no-dereference", "--target-directory"],
        "rsync": [
            "--delete", "--delete-before", "--delete-during", "--delete-delay", "--delete-after", "--delete-excluded",
            "--remove-source-files", "--rsh", "--recursive", "--force",
        ],
        "chmod": ["--recursive", "--reference", "--no-preserve-root"],
        "chown": ["--recursive", "--reference", "--no-preserve-root", "--from"],
        "chgrp": ["--recursive", "--reference", "--no-preserve-root"],
        "tar": [
            "--checkpoint-action", "--to-command", "--use-compress-program", "--remove-files", "--overwrite",
            "--unlink-first", "--recursive-unlink", "--directory", "--info-script", "--new-volume-script",
        ],
        "shred": ["--remove", "--zero", "--iterations", "--force"],
        "truncate": ["--size", "--reference"],
        "npm": ["--force", "--registry", "--yes", "--global"],
        "sed": ["--in-place", "--expression", "--file"],
    ]

    static func expand(program: String, argv: [Field]) -> [Field] {
        guard let known = table[program], !known.isEmpty else { return argv }
        var out = argv
        for i in out.indices.dropFirst() {
            let f = out[i]
            if f.text == "--" { break }
            guard !f.dynamic, f.text.hasPrefix("--"), f.text.count >= 4 else { continue }
            let name = String(f.text.prefix { $0 != "=" })
            let rest = f.text.dropFirst(name.count)
            guard !known.contains(name) else { continue }
            let candidates = known.filter { $0.hasPrefix(name) }
            // Several candidates: the tool would refuse an ambiguous prefix unless it names a family that acts
            // alike (`--del` for rsync's `--delete*`); the shortest stands for them.
            guard let full = candidates.min(by: { $0.count < $1.count }),
                candidates.allSatisfy({ $0.hasPrefix(full) }) || candidates.count == 1
            else { continue }
            out[i].text = full + rest
        }
        return out
    }
}
