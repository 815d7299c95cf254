import BrakeCore
import BrakeHost

/// GitHub Copilot's cloud agent runs only what its sandbox holds: the repository's `.github/hooks/*.json` and what
/// `.github/workflows/copilot-setup-steps.yml` (one job, named `copilot-setup-steps`) installed before the agent
/// started. Its `preToolUse` hooks fail closed, so a hook whose binary is missing denies every tool call
/// (docs.github.com, hooks reference and "Customizing the development environment for Copilot coding agent").
enum CopilotCloud {
    static let brakePath = "/usr/local/bin/brake"
    static let workflow = ".github/workflows/copilot-setup-steps.yml"

    /// The setup steps: download the Linux build of Brake the organisation publishes (repository or organisation
    /// variables BRAKE_DOWNLOAD_URL and BRAKE_SHA256), check its digest, install it where the hook expects it.
    static let setupSteps = """
        # Written by `brake install copilot --cloud`. Copilot's cloud agent runs this job before it starts, so the
        # repository's preToolUse hook (.github/hooks/brake.json) finds Brake at /usr/local/bin/brake. Without it the
        # hook cannot start and Copilot denies every tool call (preToolUse fails closed).
        # Set the repository (or organisation) variables BRAKE_DOWNLOAD_URL (a Linux x86-64 brake) and BRAKE_SHA256.
        name: Copilot setup steps

        on:
          workflow_dispatch:
          push:
            paths: [.github/workflows/copilot-setup-steps.yml]
          pull_request:
            paths: [.github/workflows/copilot-setup-steps.yml]

        jobs:
          copilot-setup-steps:
            runs-on: ubuntu-latest
            timeout-minutes: 10
            permissions:
              contents: read
            steps:
              - name: Install Brake
                env:
                  BRAKE_DOWNLOAD_URL: ${{ vars.BRAKE_DOWNLOAD_URL }}
                  BRAKE_SHA256: ${{ vars.BRAKE_SHA256 }}
                  BRAKE_INSTALL_DIR: /usr/local/bin
                run: |
                  set -eu
                  if [ -z "${BRAKE_DOWNLOAD_URL:-}" ] || [ -z "${BRAKE_SHA256:-}" ]; then
                    echo "set the variables BRAKE_DOWNLOAD_URL and BRAKE_SHA256 (Settings → Secrets and variables → Actions)" >&2
                    exit 1
                  fi
                  tmp=$(mktemp)
                  curl -fsSL --retry 3 "$BRAKE_DOWNLOAD_URL" -o "$tmp"
                  echo "$BRAKE_SHA256  $tmp" | sha256sum -c -
                  if [ "$(id -u)" = 0 ]; then install -m 0755 "$tmp" "$BRAKE_INSTALL_DIR/brake"; else sudo install -m 0755 "$tmp" "$BRAKE_INSTALL_DIR/brake"; fi
                  "$BRAKE_INSTALL_DIR/brake" --version

        """

    static func writeSetupSteps(projectRoot: String) throws {
        let path = projectRoot + "/" + workflow
        if Loader.exists(path) {
            let text = try Loader.readFile(path)
            if text.firstRange(of: "brake install copilot --cloud") != nil {
                if text != setupSteps { try ConfigFile.write(path, setupSteps, backup: true) }
                return
            }
            // The repository has setup steps of its own: say what to add rather than replacing them.
            FileHandleOut.stdout(
                "\(path) exists: add Brake's install step to its copilot-setup-steps job (see `brake install copilot --cloud --dry-run` in a fresh checkout, or the README)\n"
            )
            return
        }
        try ConfigFile.write(path, setupSteps, backup: false)
        FileHandleOut.stdout(
            "wrote \(path): Copilot's cloud agent installs Brake before it starts (set BRAKE_DOWNLOAD_URL and BRAKE_SHA256)\n"
        )
    }
}
