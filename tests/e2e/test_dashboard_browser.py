"""The dashboard in a real browser: Debian's chromium driven by Playwright, the real app served
by uvicorn on a free 127.0.0.1 port, scenarios run in the app's worker processes.

Screenshots of every page go to ``$RISKBUS_SCREENSHOTS`` when it is set (the README's come
from there), else to the test's temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from riskbus.service.app import create_app
from riskbus.service.settings import Settings
from tests.live_server import serve

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOKEN = "browser-test-token"
RUN_TIMEOUT_MS = 90_000  # a loaded machine: the run itself takes well under a second

PASSING = """\
name: "Browser: a bull run the bot trades"
description: "Every free pool enters; the take-profit ladder sells."
seed: 11
setup:
  exchange: {scenario: bull_run, initial_price: 50000.0}
  bot:
    params: {entry_signal: always}
chaos:
  - type: exchange_outage
    at_cycle: 8
    duration_cycles: 3
steps:
  - wait_for_cycles: 30
  - assert:
      event_count:
        BotMonitoringCycleStarted: {min: 30}
        PositionPurchased: {min: 3}
"""

FAILING = """\
name: "Browser: an impossible assertion"
description: "No bot buys a thousand times in twenty cycles."
seed: 5
setup:
  exchange: {scenario: sideways, initial_price: 50000.0}
steps:
  - wait_for_cycles: 20
  - assert:
      event_count:
        PositionPurchased: {min: 1000}
"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("dashboard")
    scenarios = folder / "scenarios"
    scenarios.mkdir()
    (scenarios / "browser_pass.scenario.yaml").write_text(PASSING)
    (scenarios / "browser_fail.scenario.yaml").write_text(FAILING)
    settings = Settings(
        database_url=f"sqlite:///{folder / 'dashboard.db'}",
        scenario_dirs=[scenarios],
        recordings_dir=folder / "recordings",
        admin_token=TOKEN,
        workers=2,
    )
    with serve(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("RISKBUS_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_scenario(page: Page, name: str, *, recording: bool = False) -> None:
    page.goto("/#/scenarios")
    page.locator(f"#scenario-list li[data-name='{name}']").click()
    expect(page.locator("#scenario-yaml")).to_contain_text("wait_for_cycles")
    expect(page.locator("#run-button")).to_be_enabled()
    if recording:
        page.check("#run-recording")
    page.click("#run-button")


def test_a_passing_scenario_runs_from_the_page_and_passes(page: Page, shots: Path) -> None:
    run_scenario(page, "browser_pass.scenario.yaml", recording=True)
    status = page.locator("#run-status")
    expect(status).to_have_text("passed", timeout=RUN_TIMEOUT_MS)
    expect(status).to_have_class("badge passed")
    assertions = page.locator("#assertion-list li")
    expect(page.locator("#run-assertions")).to_have_text(
        f"{assertions.count()}/{assertions.count()}"
    )
    expect(page.locator("#assertion-list li.fail")).to_have_count(0)
    expect(page.locator("#assertion-list")).to_contain_text("event_count.PositionPurchased")
    expect(page.locator("#run-seed-used")).to_have_text("11")
    assert int(page.locator("#run-events").inner_text().replace(",", "")) > 100
    # the live log streamed through EventSource, ending with the verdict
    expect(page.locator("#run-log .log-line.success").last).to_contain_text("PASSED")
    expect(page.locator("#run-log .log-line.warning").first).to_contain_text("exchange_outage")
    # the chaos report and the chart: a price per cycle but the 3 the outage failed, the
    # bot's trades, the outage window shaded
    expect(page.locator("#chaos-table")).to_contain_text("exchange_outage")
    chart = page.locator("#price-chart")
    expect(chart).to_have_attribute("data-faults", "1")
    expect(chart).to_have_attribute("data-points", "27")
    assert int(chart.get_attribute("data-trades") or 0) >= 3
    expect(page.locator("#run-report")).to_be_visible()
    page.screenshot(path=str(shots / "dashboard-scenarios.png"), full_page=True)


def test_a_failing_scenario_shows_its_failed_assertion(page: Page, shots: Path) -> None:
    run_scenario(page, "browser_fail.scenario.yaml")
    expect(page.locator("#run-status")).to_have_text("failed", timeout=RUN_TIMEOUT_MS)
    failed = page.locator("#assertion-list li.fail")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("event_count.PositionPurchased")
    expect(failed).to_contain_text("1000")
    expect(page.locator("#run-assertions")).to_have_class("value bad")
    expect(page.locator("#run-log .log-line.error").first).to_be_visible()
    expect(page.locator("#run-reproduce")).to_contain_text("--seed 5")
    page.screenshot(path=str(shots / "dashboard-scenario-failed.png"), full_page=True)


def test_an_unlock_without_the_token_is_refused(page: Page, shots: Path) -> None:
    page.goto("/#/risk")
    expect(page.locator("#risk-state")).to_contain_text("ACTIVE")
    page.click("#unlock-button")
    result = page.locator("#unlock-result")
    expect(result).to_have_class("result refused")
    expect(result).to_contain_text("401")
    expect(result).to_contain_text("ADMIN_TOKEN_MISSING")
    page.fill("#unlock-token", "not-the-token")
    page.click("#unlock-button")
    expect(result).to_contain_text("403")
    expect(result).to_contain_text("ADMIN_TOKEN_INVALID")
    # both refusals are in the audit trail the page shows
    audit = page.locator("#audit-table")
    expect(audit).to_contain_text("missing_token")
    expect(audit).to_contain_text("bad_token")
    page.fill("#unlock-token", TOKEN)
    page.click("#unlock-button")
    expect(result).to_have_class("result ok")
    expect(result).to_contain_text("cleared nothing")
    expect(audit).to_contain_text("nothing_to_clear")  # every attempt is audited
    page.screenshot(path=str(shots / "dashboard-risk.png"), full_page=True)


def test_the_event_flow_is_drawn_from_the_bus_registry(page: Page, shots: Path) -> None:
    page.goto("/#/eventflow")
    page.select_option("#flow-scenario", "browser_pass.scenario.yaml")
    page.click("#flow-form button[type=submit]")
    graph = page.locator("#flow-graph svg")
    expect(graph).to_be_visible(timeout=30_000)
    expect(page.locator("#flow-caption")).to_contain_text("browser_pass.scenario.yaml")
    for name in ("BotRunner", "OrderFilled", "SubmitOrder", "PositionPurchased"):
        assert graph.locator(f"g.node[data-id$=':{name}']").count() >= 1, name
    assert graph.locator("path.edge.pub").count() > 10
    assert graph.locator("path.edge.con").count() > 10
    page.screenshot(path=str(shots / "dashboard-eventflow.png"), full_page=True)


def test_a_recording_is_listed_and_replayed(page: Page, shots: Path) -> None:
    run_scenario(page, "browser_pass.scenario.yaml", recording=True)
    expect(page.locator("#run-status")).to_have_text("passed", timeout=RUN_TIMEOUT_MS)
    page.goto("/#/recordings")
    item = page.locator("#recording-list li[data-name^='browser_pass']").first
    expect(item).to_be_visible()
    item.click()
    expect(page.locator("#recording-title")).to_contain_text("a bull run the bot trades")
    rows = page.locator("#timeline-table tbody tr")
    total = rows.count()
    assert total > 100
    page.select_option("#replay-speed", "0")  # instant
    page.click("#replay-play")
    expect(page.locator("#replay-clock")).to_contain_text(f"event {total} of {total}")
    expect(page.locator("#timeline-table tbody tr.played")).to_have_count(total)
    page.click("#replay-reset")
    expect(page.locator("#timeline-table tbody tr.played")).to_have_count(0)
    page.select_option("#replay-speed", "60")
    page.click("#replay-play")
    expect(page.locator("#timeline-table tbody tr.played").first).to_be_visible()
    page.click("#replay-pause")
    page.screenshot(path=str(shots / "dashboard-recordings.png"), full_page=True)


def test_a_prediction_is_made_and_listed_from_the_page(page: Page, shots: Path) -> None:
    page.goto("/#/predictions")
    page.fill("#predict-pair", "ETH/USDT")
    page.fill("#predict-horizon", "61")
    page.click("#predict-form button[type=submit]")
    expect(page.locator("#predict-result")).to_contain_text("INVALID_HORIZON")
    page.fill("#predict-horizon", "7")
    page.select_option("#predict-market", "bull_run")
    page.fill("#predict-seed", "1")
    page.click("#predict-form button[type=submit]")
    expect(page.locator("#predict-result")).to_contain_text("stored as pr_")
    expect(page.locator("#prediction-title")).to_contain_text("up")
    expect(page.locator("#prediction-agents .agent")).to_have_count(4)
    expect(page.locator("#prediction-table")).to_contain_text("ETH/USDT")
    page.screenshot(path=str(shots / "dashboard-predictions.png"), full_page=True)
