#!/usr/bin/env python3
"""The GitHub Action's script on a recorded pull_request payload, a local git repository and a
fake GitHub API: no network.

Run by tests/action.rs (`cargo test --test action`), which passes the aicost binary in AICOST;
or alone: `AICOST=target/release/aicost python3 tests/action/test_pr_cost.py`.
"""

import http.server
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(ROOT, "scripts", "pr-cost.py")
PAYLOAD = os.path.join(HERE, "pull_request.json")
SCENARIO = os.path.join(ROOT, "scenarios", "support-summarizer.toml")
AICOST = os.environ.get("AICOST") or shutil.which("aicost")
TOKEN = "ghs_test_token"
MARKER = "<!-- aicost-action:cost -->"


def load_script():
    spec = importlib.util.spec_from_file_location("pr_cost", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeGitHub:
    """Issue comments of one repository, over HTTP, as the REST API serves them."""

    def __init__(self, repo, refuse_writes=False):
        self.repo = repo
        self.comments = {}
        self.next_id = 1000
        self.requests = []
        self.refuse_writes = refuse_writes
        # The login `GET /user` gives: a personal token's; None, as for the job's own token
        # (an app installation token), answers 403.
        self.login = None
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(n).decode()) if n else None

            def handle_any(self, method):
                path = self.path.split("?")[0]
                fake.requests.append((method, self.path, self.headers.get("Authorization")))
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self.reply(401, {"message": "Bad credentials"})
                if method != "GET" and fake.refuse_writes:
                    return self.reply(403, {"message": "Resource not accessible by integration"})
                if method == "GET" and path == "/user":
                    if fake.login is None:
                        return self.reply(403, {"message": "Resource not accessible by integration"})
                    return self.reply(200, {"login": fake.login, "type": "User"})
                prefix = f"/repos/{fake.repo}/issues/"
                if not path.startswith(prefix):
                    return self.reply(404, {"message": "Not Found"})
                rest = path[len(prefix):].split("/")
                if method == "GET" and len(rest) == 2 and rest[1] == "comments":
                    listed = [c for c in fake.comments.values() if c["issue"] == int(rest[0])]
                    return self.reply(200, listed)
                if method == "POST" and len(rest) == 2 and rest[1] == "comments":
                    fake.next_id += 1
                    c = {
                        "id": fake.next_id,
                        "issue": int(rest[0]),
                        "body": self.body()["body"],
                        "html_url": f"https://github.com/{fake.repo}/pull/{rest[0]}#issuecomment-{fake.next_id}",
                        "user": fake.author(),
                    }
                    fake.comments[c["id"]] = c
                    return self.reply(201, c)
                if method == "PATCH" and len(rest) == 2 and rest[0] == "comments":
                    c = fake.comments.get(int(rest[1]))
                    if c is None:
                        return self.reply(404, {"message": "Not Found"})
                    c["body"] = self.body()["body"]
                    return self.reply(200, c)
                return self.reply(404, {"message": "Not Found"})

            def do_GET(self):
                self.handle_any("GET")

            def do_POST(self):
                self.handle_any("POST")

            def do_PATCH(self):
                self.handle_any("PATCH")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def author(self):
        if self.login is None:
            return {"login": "github-actions[bot]", "type": "Bot"}
        return {"login": self.login, "type": "User"}

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def writes(self):
        return [(m, p) for m, p, _ in self.requests if m != "GET"]


def git(repo, *args):
    """Run git in `repo`; the commit HEAD names afterwards (empty before the first)."""
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    head = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=repo, capture_output=True, text=True)
    return head.stdout.strip()


@unittest.skipIf(AICOST is None, "no aicost binary (set AICOST)")
class ActionScript(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="aicost-action-")
        self.repo = os.path.join(self.dir, "repo")
        os.makedirs(os.path.join(self.repo, "scenarios"))
        with open(SCENARIO, encoding="utf-8") as f:
            self.text = f.read()
        self.write("scenarios/support-summarizer.toml", self.text)
        self.write("Cargo.toml", "[package]\nname = 'unrelated'\n")
        git(self.repo, "init", "-q", "-b", "main")
        git(self.repo, "add", ".")
        self.base = git(self.repo, "commit", "-q", "-m", "base")
        git(self.repo, "checkout", "-q", "-b", "summaries-rollout")
        # The pull request: a changed rate in a chain, a new scenario, an unrelated TOML file.
        self.write(
            "scenarios/support-summarizer.toml",
            self.text.replace(
                'chain = [{ model = "gpt-4o-mini", validation_failure_rate = 0.05',
                'chain = [{ model = "gpt-4o-mini", validation_failure_rate = 0.08',
            ),
        )
        self.write("scenarios/new-team.toml", self.text.replace('name = "support-summarizer"', 'name = "new-team"'))
        self.write("Cargo.toml", "[package]\nname = 'unrelated-too'\n")
        git(self.repo, "add", ".")
        self.head = git(self.repo, "commit", "-q", "-m", "rollout")
        self.github = FakeGitHub("acme/llm-features")
        # Someone's review comment is there already and must stay untouched.
        self.github.comments[7] = {"id": 7, "issue": 17, "body": "Looks good to me", "html_url": "", "user": {"login": "octo-dev"}}

    def tearDown(self):
        self.github.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, rel, text):
        with open(os.path.join(self.repo, rel), "w", encoding="utf-8") as f:
            f.write(text)

    def event(self, name="event.json"):
        with open(PAYLOAD, encoding="utf-8") as f:
            text = f.read()
        text = text.replace("BASE_SHA", self.base).replace("HEAD_SHA", self.head)
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def run_action(self, event_name="pull_request", **inputs):
        summary = os.path.join(self.dir, "summary.md")
        output = os.path.join(self.dir, "output.txt")
        for p in (summary, output):
            open(p, "w").close()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.dir,
            "AICOST": AICOST,
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": self.event(),
            "GITHUB_REPOSITORY": "acme/llm-features",
            "GITHUB_API_URL": self.github.url,
            "GITHUB_STEP_SUMMARY": summary,
            "GITHUB_OUTPUT": output,
            "GITHUB_TOKEN": TOKEN,
            "INPUT_TRIALS": "200",
            "INPUT_SEED": "7",
        }
        for k, v in inputs.items():
            env["INPUT_" + k.upper()] = v
        p = subprocess.run(
            [sys.executable, SCRIPT], cwd=self.repo, env=env, capture_output=True, text=True
        )
        with open(summary, encoding="utf-8") as f:
            summary_text = f.read()
        with open(output, encoding="utf-8") as f:
            outputs = dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)
        return p, summary_text, outputs

    def ours(self):
        return [c for c in self.github.comments.values() if MARKER in c["body"]]

    def test_a_marker_in_someone_elses_comment_is_not_ours(self):
        # Anyone may paste the marker: editing that comment would put the report under their
        # name, where they could change the figures afterwards.
        bait = MARKER + "\nfake report"
        self.github.comments[8] = {"id": 8, "issue": 17, "body": bait, "html_url": "", "user": {"login": "mallory", "type": "User"}}
        p, _, outputs = self.run_action()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.github.comments[8]["body"], bait)
        self.assertEqual(self.github.writes(), [("POST", "/repos/acme/llm-features/issues/17/comments")])
        mine = [c for c in self.github.comments.values() if c["user"]["login"] == "github-actions[bot]"]
        self.assertEqual(len(mine), 1)
        self.assertEqual(outputs.get("comment-url"), mine[0]["html_url"])
        # With a personal token, the comments of its login are ours; a bot's are not.
        self.github.login = "cost-bot"
        self.run_action()
        self.run_action()
        self.assertEqual(self.github.comments[8]["body"], bait)
        self.assertEqual(sum(1 for c in self.github.comments.values() if c["user"]["login"] == "cost-bot"), 1)
        self.assertEqual(len(self.github.comments), 4)

    def test_file_names_are_never_options(self):
        # A scenario the pull request changes and one it adds, named like options of aicost.
        self.write("-q.toml", self.text)
        git(self.repo, "add", ".")
        git(self.repo, "commit", "-q", "-m", "odd name")
        self.base = git(self.repo, "rev-parse", "HEAD")
        self.write("-q.toml", self.text.replace("validation_failure_rate = 0.05", "validation_failure_rate = 0.07"))
        self.write("--version.toml", self.text)
        git(self.repo, "add", ".")
        self.head = git(self.repo, "commit", "-q", "-m", "odd names")
        p, summary, outputs = self.run_action(scenarios="-*.toml", comment="false")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(outputs.get("result"), "pass", summary)
        self.assertIn("0.07", summary)
        self.assertIn("New in this pull request: `ok: --version.toml", summary)
        self.assertNotIn("failed", summary)

    def test_one_comment_created_then_updated(self):
        p, summary, outputs = self.run_action(
            check="scenarios/support-summarizer.toml",
            fail_if="stack=gpt-4o-mini: p95 > 1000000\nstack=gpt-4o-mini: breach_probability > 0.5",
        )
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(outputs.get("result"), "pass")
        # The job summary: the diff of the changed key, the new scenario, the gate.
        self.assertIn(MARKER, summary)
        self.assertIn("chain[0].validation_failure_rate", summary)
        self.assertIn("0.05", summary)
        self.assertIn("0.08", summary)
        self.assertIn("`scenarios/new-team.toml`", summary)
        self.assertIn("New in this pull request", summary)
        self.assertIn("✅ pass", summary)
        self.assertNotIn("Cargo.toml", summary)
        # One comment, with the same body; the reviewer's comment untouched.
        ours = self.ours()
        self.assertEqual(len(ours), 1)
        self.assertEqual(ours[0]["body"].rstrip(), summary.rstrip())
        self.assertEqual(self.github.comments[7]["body"], "Looks good to me")
        self.assertEqual(outputs.get("comment-url"), ours[0]["html_url"])
        self.assertEqual(self.github.writes(), [("POST", "/repos/acme/llm-features/issues/17/comments")])
        first_id = ours[0]["id"]

        # A second push: the same comment is edited, none added.
        self.write(
            "scenarios/support-summarizer.toml",
            self.text.replace(
                'chain = [{ model = "gpt-4o-mini", validation_failure_rate = 0.05',
                'chain = [{ model = "gpt-4o-mini", validation_failure_rate = 0.09',
            ),
        )
        git(self.repo, "add", ".")
        self.head = git(self.repo, "commit", "-q", "-m", "push 2")
        p, summary, outputs = self.run_action(
            check="scenarios/support-summarizer.toml",
            fail_if="stack=gpt-4o-mini: p95 > 1000000",
        )
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        ours = self.ours()
        self.assertEqual(len(ours), 1)
        self.assertEqual(ours[0]["id"], first_id)
        self.assertIn("0.09", ours[0]["body"])
        self.assertNotIn("0.08", ours[0]["body"])
        self.assertEqual(self.github.writes()[-1], ("PATCH", f"/repos/acme/llm-features/issues/comments/{first_id}"))
        self.assertEqual(len(self.github.comments), 2)
        # Every call carried the token.
        self.assertTrue(all(a == f"Bearer {TOKEN}" for _, _, a in self.github.requests))

    def test_a_failing_rule_fails_the_job_and_still_comments(self):
        p, summary, outputs = self.run_action(
            check="scenarios/support-summarizer.toml", fail_if="stack=gpt-4o: p95 > 1"
        )
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(outputs.get("result"), "fail")
        self.assertIn("❌ **fail**", summary)
        self.assertIn("FAIL", summary)
        self.assertEqual(len(self.ours()), 1)

    def test_undecided_has_its_own_result(self):
        # A threshold at the measured mean itself: no number of trials here can call it.
        report = subprocess.run(
            [AICOST, "simulate", "scenarios/support-summarizer.toml", "--trials", "200", "--seed", "7", "--format", "json"],
            cwd=self.repo, check=True, capture_output=True, text=True,
        )
        stacks = json.loads(report.stdout)["stacks"]
        mean = next(s for s in stacks if s["name"] == "gpt-4o")["monthly_spend_usd"]["mean"]
        rule = f"stack=gpt-4o: mean > {mean}"
        p, summary, outputs = self.run_action(check="scenarios/support-summarizer.toml", fail_if=rule)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(outputs.get("result"), "undecided")
        self.assertIn("**undecided**", summary)
        p, _, outputs = self.run_action(
            check="scenarios/support-summarizer.toml", fail_if=rule, undecided="pass"
        )
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(outputs.get("result"), "undecided")

    def test_a_broken_scenario_is_an_error_not_a_verdict(self):
        self.write("scenarios/support-summarizer.toml", self.text.replace("[budget]", "[budgett]"))
        git(self.repo, "add", ".")
        self.head = git(self.repo, "commit", "-q", "-m", "typo")
        p, summary, outputs = self.run_action(
            check="scenarios/support-summarizer.toml", fail_if="p95 > 1000000"
        )
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(outputs.get("result"), "error")
        self.assertIn("budgett", summary)
        self.assertIn("**error** (exit 2)", summary)

    def test_a_read_only_token_keeps_the_summary(self):
        self.github.refuse_writes = True
        p, summary, outputs = self.run_action()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("could not write the pull-request comment", p.stderr)
        self.assertIn("chain[0].validation_failure_rate", summary)
        self.assertEqual(self.ours(), [])

    def test_no_comment_when_disabled_or_not_a_pull_request(self):
        p, summary, _ = self.run_action(comment="false")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("chain[0].validation_failure_rate", summary)
        p, summary, _ = self.run_action(event_name="push")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("Not a pull request", summary)
        self.assertEqual(self.github.requests, [])

    def test_scenario_patterns_select_what_is_diffed(self):
        p, summary, _ = self.run_action(scenarios="other/*.toml", comment="false")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("No scenario matching `other/*.toml` changed", summary)


class Markdown(unittest.TestCase):
    def test_names_stay_inside_their_code_span(self):
        m = load_script()
        self.assertEqual(m.code("a.toml"), "`a.toml`")
        self.assertEqual(m.code("a`b.toml"), "``a`b.toml``")
        self.assertEqual(m.code("`x"), "`` `x ``")
        self.assertEqual(m.code("a|b\nc"), "`a\\|b c`")
        self.assertTrue(m.block("```\nx").startswith("````text\n"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
