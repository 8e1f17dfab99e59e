"""A person's first look at a campaign in MLflow, in a real headless browser; screenshots for the README.

    $ python benchmarks/ui_check.py                  # a 3-generation quickstart in a fresh folder (about 5 minutes), then the checks
    $ python benchmarks/ui_check.py --fast           # a campaign the size of the tests' (about 1 minute)
    $ python benchmarks/ui_check.py --output-dir runs --campaign quickstart --no-screenshots   # an existing campaign

Starts `selfplay ui --campaign NAME`, opens the address it prints in
Chromium and checks what a person would look at: the experiment opens on its
runs (not MLflow's GenAI overview), in the campaign's view with pass@1
columns; the parent run's description holds the generations table and the
improvement plot; its charts include pass@1; the registered champion's page
shows a model (MLmodel, signature) rather than a 404; and SIGTERM to
`selfplay ui` leaves no server process behind. Screenshots go to docs/images/.

Needs Debian's Chromium (`apt-get install chromium`) and playwright
(`pip install playwright`), which drives that Chromium: no browser download.
Exit code 0 when every check passes.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
FAST = ["policy.tiny={hidden_size: 32, num_layers: 2, num_heads: 2, intermediate_size: 64, max_length: 96}",
        "pretrain.max_steps=150", "pretrain.learning_rate=3e-3", "pretrain.num_demonstrations=400", "generations=2",
        "train.max_steps=4", "train.num_generations=4", "train.batch_size=16", "train.num_problems=40",
        "train.logging_steps=1", "expert_iteration.max_steps=2", "eval.num_problems=20", "eval.num_samples=2",
        "gate.test=none"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", help="an existing campaigns folder (default: run a campaign in a temporary one)")
    parser.add_argument("--campaign", default="quickstart")
    parser.add_argument("--fast", action="store_true", help="a tiny test-sized campaign instead of 3 quickstart generations")
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--no-screenshots", action="store_true", help="check only; leave docs/images/ alone")
    args = parser.parse_args(argv)
    chromium = next((path for path in CHROMIUM_CANDIDATES if Path(path).exists()), None)
    if chromium is None:
        print("ui_check: no Chromium found; apt-get install chromium", file=sys.stderr)
        return 2
    output_dir = Path(args.output_dir) if args.output_dir else Path(tempfile.mkdtemp(prefix="ui-check-")) / "runs"
    if not args.output_dir:
        settings = (FAST if args.fast else ["generations=3"]) + [f"output_dir={output_dir}", f"name={args.campaign}",
                                                                  f"policy.cache_dir={output_dir.parent / 'cache'}"]
        print(f"ui_check: running campaign {args.campaign} in {output_dir}", flush=True)
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "selfplay", "launch", *[a for s in settings for a in ("--set", s)]], check=True)
        print(f"ui_check: campaign done in {time.monotonic() - started:.0f} s", flush=True)
    failures = check(output_dir, args.campaign, args.port, chromium, screenshots=not args.no_screenshots)
    for failure in failures:
        print(f"FAIL {failure}")
    print(f"ui_check: {'all checks passed' if not failures else f'{len(failures)} failed'}")
    return 1 if failures else 0


def check(output_dir: Path, campaign: str, port: int, chromium: str, screenshots: bool) -> list[str]:
    from mlflow.tracking import MlflowClient
    from playwright.sync_api import sync_playwright

    client = MlflowClient(f"sqlite:///{output_dir.resolve() / 'mlflow.db'}")
    experiment = client.get_experiment_by_name(campaign)
    parent = client.search_runs([experiment.experiment_id], "tags.`selfplay.kind` = 'campaign'")[0]
    champion = client.get_model_version_by_alias(f"{campaign}-policy", "champion")
    failures: list[str] = []
    expect = lambda ok, what: None if ok else failures.append(what)  # noqa: E731
    ui = subprocess.Popen([sys.executable, "-m", "selfplay", "ui", "--output-dir", str(output_dir), "--port", str(port),
                           "--campaign", campaign], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = _printed_url(ui, campaign)
        base = url.split("/#/")[0]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1500, "height": 950})

            page.goto(url)  # what `selfplay ui` prints
            page.get_by_text("generation-1", exact=True).first.wait_for(timeout=60_000)
            _close_assistant(page)
            text = page.inner_text("body")
            expect("/runs" in page.url, f"the experiment opened on {page.url}, not its runs")
            expect("Detect Issues" not in text and "Tool calls" not in text, "the GenAI overview is showing")
            expect("eval/pass_at_1" in text or "eval/pass_at_" in text, "no pass@1 column in the runs list")
            _shot(page, "mlflow_runs.png", screenshots)

            page.set_viewport_size({"width": 1500, "height": 1400})
            page.goto(f"{base}/#/experiments/{experiment.experiment_id}/runs/{parent.info.run_id}?workflowType=machine_learning")
            page.get_by_text("Show more").first.click(timeout=60_000)
            _close_assistant(page)
            page.get_by_text("Generations", exact=True).first.scroll_into_view_if_needed()
            page.wait_for_timeout(2000)
            text = page.inner_text("body")
            expect("won-lost" in text, "the parent's description has no generations table")
            loaded = page.evaluate("() => [...document.images].some(i => i.src.includes('improvement.png') && i.naturalWidth > 0)")
            expect(loaded, "the improvement plot does not show in the parent's description")
            _shot(page, "mlflow_parent_run.png", screenshots)
            page.set_viewport_size({"width": 1500, "height": 950})

            page.goto(f"{base}/#/experiments/{experiment.experiment_id}/runs/{parent.info.run_id}/model-metrics?workflowType=machine_learning")
            page.get_by_placeholder("Search metric charts").fill("pass_at_1", timeout=60_000)
            _close_assistant(page)
            page.wait_for_timeout(2500)
            expect("Step" in page.inner_text("body"), "the parent's pass@1 charts did not draw")
            _shot(page, "mlflow_parent_charts.png", screenshots)

            page.goto(f"{base}/#/models/{campaign}-policy/versions/{champion.version}?workflowType=machine_learning")
            page.get_by_text("Inputs (1)").first.click(timeout=60_000)  # the signature, read from the MLmodel file
            _close_assistant(page)
            page.wait_for_timeout(1500)
            text = page.inner_text("body")
            expect("404" not in text and "not found" not in text.lower(), "the champion's version page reports a missing model")
            expect("champion" in text and "string" in text, "the champion's version page shows no alias or signature")
            _shot(page, "mlflow_registry.png", screenshots)
            browser.close()
    finally:
        children = psutil.Process(ui.pid).children(recursive=True) if ui.poll() is None else []
        ui.send_signal(signal.SIGTERM)
        code = ui.wait(timeout=60)
        _, alive = psutil.wait_procs(children, timeout=30)
        expect(code == 128 + signal.SIGTERM, f"selfplay ui exited {code} on SIGTERM")
        expect(not alive, f"SIGTERM to selfplay ui left {len(alive)} processes running")
        for process in alive:
            process.kill()
    return failures


def _printed_url(ui: subprocess.Popen, campaign: str) -> str:
    deadline = time.monotonic() + 180
    for line in ui.stdout:
        if line.startswith(f"campaign {campaign}: "):
            return line.split(": ", 1)[1].strip()
        if time.monotonic() > deadline:
            break
    raise RuntimeError(f"selfplay ui printed no address for {campaign} (exit code {ui.poll()})")


def _close_assistant(page) -> None:
    """MLflow 3.17 opens its Assistant panel beside every page; closed, the screenshots show the page."""
    page.wait_for_timeout(500)
    page.evaluate("""() => [...document.querySelectorAll("button[aria-label='Close']")]
        .filter(b => b.getBoundingClientRect().left > window.innerWidth * 0.7 && b.getBoundingClientRect().top < 80)
        .forEach(b => b.click())""")
    page.wait_for_timeout(300)


def _shot(page, name: str, enabled: bool, full_page: bool = False) -> None:
    if enabled:
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / name), full_page=full_page)
        print(f"ui_check: wrote {(IMAGES / name).relative_to(ROOT)}")


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
