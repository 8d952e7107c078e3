#!/usr/bin/env python3
"""The cost report of a pull request, for the aicost GitHub Action (action.yml).

On a `pull_request` event it runs `aicost diff --base-ref BASE` on every changed scenario and
`aicost check` with the configured rules, writes the Markdown to the job summary, and creates
or updates one comment on the pull request: the comment carries a hidden marker, and a later
push edits that comment instead of adding another.

Everything it needs comes from the environment GitHub Actions gives a step, so it runs the same
on a laptop with a recorded event payload and a local git repository (tests/action/):

  GITHUB_EVENT_PATH       the event payload (JSON)
  GITHUB_EVENT_NAME       `pull_request` or `pull_request_target`; anything else only summarises
  GITHUB_REPOSITORY       owner/name, when the payload lacks it
  GITHUB_API_URL          the REST API (https://api.github.com)
  GITHUB_STEP_SUMMARY     the job summary file (appended to)
  GITHUB_OUTPUT           the step's outputs file (appended to)
  GITHUB_TOKEN            a token that may write pull-request comments; none: no comment
  AICOST                  the aicost command (default `aicost`)
  INPUT_SCENARIOS         glob patterns of scenario files, whitespace or newline separated
  INPUT_CHECK             scenario files to check, whitespace or newline separated
  INPUT_FAIL_IF           `check` rules, one per line
  INPUT_TRIALS            simulated months per run (default 2000)
  INPUT_SEED              a seed, when the scenarios do not fix one
  INPUT_COMMENT           `true` (default) or `false`
  INPUT_MARKER            names the comment, so that several uses of the action keep theirs
  INPUT_UNDECIDED         `fail` (default) or `pass`: what a rule too close to call does to the job
  INPUT_ARGS              extra arguments for every aicost run (`--set simulation.days=31`)

Exit code: 0 when every check passes (and, with `undecided: pass`, when some are undecided), 1
when a rule fails, a check is undecided under `undecided: fail`, or aicost reports an error, 2
when the step cannot run at all (no aicost to run, a base commit missing, `check` without rules);
each failure is told in a `::error::` line, never a traceback.
Names (file paths) reach the Markdown inside code spans they cannot leave, and aicost after `--`,
so that no file name is read as an option. Only a comment the token wrote itself is edited.
"""

import fnmatch
import json
import os
import shlex
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

# Exit codes of `aicost check`.
CHECK_PASS, CHECK_FAIL, CHECK_ERROR, CHECK_UNDECIDED = 0, 1, 2, 3

# GitHub refuses comment bodies longer than this (characters).
MAX_COMMENT = 65536


def env(name, default=""):
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else value


def words(text):
    return [w for w in text.split() if w]


def lines(text):
    return [line.strip() for line in text.splitlines() if line.strip()]


def code(text):
    """`text` as a Markdown code span that neither a backtick, a `|` nor a line break leaves."""
    text = text.replace("\r", " ").replace("\n", " ").replace("|", "\\|")
    longest, run = 0, 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def block(text):
    """`text` as a fenced code block that no line of it can close."""
    longest = 2
    for line in text.splitlines():
        stripped = line.lstrip()
        run = len(stripped) - len(stripped.lstrip("`"))
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}\n"


def run(cmd, cwd=None):
    """Run `cmd` (a list, never through a shell); its exit code, stdout and stderr. A command
    that cannot start (gone, not executable) answers 127 with the reason, as a shell would."""
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, errors="replace")
    except OSError as e:
        return 127, "", f"cannot run {cmd[0]}: {e.strerror or e}"
    return p.returncode, p.stdout, p.stderr


def git(*args):
    code_, out, err = run(["git", *args])
    if code_ != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {err.strip()}")
    return out


def changed_files(base):
    """Files the pull request adds, modifies, renames or deletes, relative to the merge base."""
    out = git("diff", "--name-status", "-z", "--no-renames", f"{base}...HEAD")
    fields = out.split("\0")
    changes = []
    for status, path in zip(fields[0::2], fields[1::2]):
        if path:
            changes.append((status[:1], path))
    return changes


def in_revision(rev, path):
    return run(["git", "cat-file", "-e", f"{rev}:{path}"])[0] == 0


def matches(path, patterns):
    return any(fnmatch.fnmatch(path, p) for p in patterns)


class Api:
    """The few GitHub REST calls the comment needs."""

    def __init__(self, base, token, repo):
        self.base = base.rstrip("/")
        self.token = token
        self.repo = repo

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        req.add_header("User-Agent", "aicost-action")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read().decode() or "null")

    def login(self):
        """The login a personal token comments as; None for the job's own token (a GitHub App
        installation token cannot read `/user`), whose comments are a bot's."""
        try:
            return (self.call("GET", "/user") or {}).get("login")
        except urllib.error.HTTPError:
            return None

    def find_comment(self, number, marker):
        """The comment this action wrote before: it starts with `marker` and is the token's own.
        Anyone may write the marker into a comment of theirs; editing that one would put the
        report under their name, where they could change it."""
        login = self.login()

        def ours(c):
            user = c.get("user") or {}
            if login is not None:
                mine = user.get("login") == login
            else:
                mine = user.get("type") == "Bot"
            return mine and (c.get("body") or "").startswith(marker)

        page = 1
        while True:
            comments = self.call(
                "GET", f"/repos/{self.repo}/issues/{number}/comments?per_page=100&page={page}"
            )
            for c in comments:
                if ours(c):
                    return c
            if len(comments) < 100:
                return None
            page += 1

    def upsert_comment(self, number, marker, body):
        """Edit the comment that carries `marker`, or create it; (action, url)."""
        existing = self.find_comment(number, marker)
        if existing is not None:
            c = self.call(
                "PATCH", f"/repos/{self.repo}/issues/comments/{existing['id']}", {"body": body}
            )
            return "updated", c.get("html_url", "")
        c = self.call("POST", f"/repos/{self.repo}/issues/{number}/comments", {"body": body})
        return "created", c.get("html_url", "")


def diff_section(aicost, base, path, status, extra, common):
    """The Markdown for one changed scenario, and whether aicost failed on it."""
    if status == "D":
        return f"### {code(path)}\n\nRemoved by this pull request.\n\n", False
    if not in_revision(base, path):
        rc, out, err = run([aicost, "validate", *common, "--", path])
        if rc == 0:
            return f"### {code(path)}\n\nNew in this pull request: {code(out.strip())}\n\n", False
        return f"### {code(path)}\n\nNew in this pull request, and invalid:\n\n{block(err)}\n", True
    # `--` first: a file the pull request names `--out=….toml` is a path, never an option.
    rc, out, err = run([aicost, "diff", "--base-ref", base, *extra, "--", path])
    if rc == 0:
        return out.rstrip() + "\n\n", False
    return f"### {code(path)}\n\n`aicost diff` failed (exit {rc}):\n\n{block(err)}\n", True


def check_section(aicost, path, rules, extra):
    """The Markdown for the rules on one scenario, and aicost's exit code."""
    cmd = [aicost, "check", *extra]
    for r in rules:
        cmd.append(f"--fail-if={r}")
    rc, out, err = run([*cmd, "--", path])
    verdict = {
        CHECK_PASS: "✅ pass",
        CHECK_FAIL: "❌ **fail**",
        CHECK_UNDECIDED: "⚠️ **undecided** (too close to a threshold at these trials)",
    }.get(rc, f"❌ **error** (exit {rc})")
    text = out if out.strip() else ""
    if err.strip():
        text = (text + "\n" + err).strip()
    return f"#### {code(path)}: {verdict}\n\n{block(text)}\n", rc


def find_aicost(name):
    """The aicost command as a path, or None: a name is looked up on PATH, a path must exist."""
    if os.sep in name or (os.altsep and os.altsep in name):
        return name if os.path.isfile(name) and os.access(name, os.X_OK) else None
    return shutil.which(name)


def main():
    aicost = find_aicost(env("AICOST", "aicost"))
    if aicost is None:
        print(
            f"::error::cannot run {env('AICOST', 'aicost')!r}: it is not on PATH. Give the action "
            "`install: true` (it then builds aicost with cargo), or install aicost in an earlier step "
            "(`cargo install --locked --path PATH-TO-AICOST`)",
            file=sys.stderr,
        )
        return 2
    patterns = words(env("INPUT_SCENARIOS", "scenarios/*.toml"))
    checks = words(env("INPUT_CHECK"))
    rules = lines(env("INPUT_FAIL_IF"))
    marker_name = env("INPUT_MARKER", "cost")
    undecided_fails = env("INPUT_UNDECIDED", "fail") != "pass"
    comment = env("INPUT_COMMENT", "true").lower() not in ("false", "0", "no")
    # `--set`, `--allow-dir`: for every command; trials and seed: for those that simulate.
    common = shlex.split(env("INPUT_ARGS"))
    extra = ["--trials", env("INPUT_TRIALS", "2000")]
    if env("INPUT_SEED"):
        extra += ["--seed", env("INPUT_SEED")]
    extra += common
    if checks and not rules:
        print("::error::`check` names scenarios but `fail-if` gives no rule", file=sys.stderr)
        return 2

    event_name = env("GITHUB_EVENT_NAME", "pull_request")
    try:
        with open(env("GITHUB_EVENT_PATH"), encoding="utf-8") as f:
            event = json.load(f)
    except (OSError, ValueError) as e:
        print(f"::error::cannot read the event payload (GITHUB_EVENT_PATH): {e}", file=sys.stderr)
        return 2
    pr = event.get("pull_request")
    marker = f"<!-- aicost-action:{marker_name} -->"

    parts = [marker, "## aicost: what this pull request does to LLM spend\n"]
    failed = False
    if pr is None or event_name not in ("pull_request", "pull_request_target"):
        parts.append(f"Not a pull request (event {code(event_name)}): no diff.\n")
        base = None
    else:
        base = pr["base"]["sha"]
        head = pr.get("head", {}).get("sha", "")
        parts.append(
            f"Base {code(base[:12])} → head {code(head[:12] or 'HEAD')}; each changed scenario is "
            "forecast at both commits on the same simulated months.\n"
        )

    if base is not None:
        try:
            changes = [(s, p) for s, p in changed_files(base) if matches(p, patterns)]
        except RuntimeError as e:
            print(f"::error::{e}", file=sys.stderr)
            print("::error::check out with fetch-depth: 0 so the base commit is present", file=sys.stderr)
            return 2
        if not changes:
            parts.append(
                f"No scenario matching {', '.join(code(p) for p in patterns)} changed.\n"
            )
        for status, path in changes:
            text, error = diff_section(aicost, base, path, status, extra, common)
            parts.append(text)
            failed |= error

    outcome = "pass"
    if checks:
        parts.append("### Cost gate\n")
        parts.append("".join(f"- {code(r)}\n" for r in rules) + "\n")
        for path in checks:
            text, rc = check_section(aicost, path, rules, extra)
            parts.append(text)
            if rc == CHECK_FAIL:
                outcome = "fail"
            elif rc == CHECK_UNDECIDED and outcome == "pass":
                outcome = "undecided"
            elif rc not in (CHECK_PASS, CHECK_FAIL, CHECK_UNDECIDED):
                outcome = "error"
                failed = True
    if failed and outcome == "pass":
        outcome = "error"

    body = "\n".join(parts).rstrip() + "\n"
    if len(body) > MAX_COMMENT:
        note = "\n\n…cut: the full report is in the job summary.\n"
        body = body[: MAX_COMMENT - len(note)] + note

    summary = env("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as f:
            f.write(body + "\n")
    else:
        sys.stdout.write(body)

    comment_url = ""
    if comment and pr is not None and base is not None:
        token = env("GITHUB_TOKEN")
        repo = env("GITHUB_REPOSITORY", event.get("repository", {}).get("full_name", ""))
        if not token:
            print("::warning::no GITHUB_TOKEN: the report is in the job summary only", file=sys.stderr)
        else:
            api = Api(env("GITHUB_API_URL", "https://api.github.com"), token, repo)
            try:
                action, comment_url = api.upsert_comment(pr["number"], marker, body)
                print(f"aicost: {action} comment {comment_url}")
            except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
                # A pull request from a fork gets a read-only token: keep the summary, warn.
                print(f"::warning::could not write the pull-request comment: {e}", file=sys.stderr)

    out = env("GITHUB_OUTPUT")
    if out:
        with open(out, "a", encoding="utf-8") as f:
            f.write(f"result={outcome}\ncomment-url={comment_url}\n")

    print(f"aicost: cost gate {outcome}")
    if outcome == "fail" or outcome == "error" or (outcome == "undecided" and undecided_fails):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
