"""A client's share of work: charged after the work, counted per client, renewed each minute."""
from backend.api.budget import WorkBudget


def test_a_client_over_its_share_waits_until_its_minute_renews_and_others_do_not():
    budget = WorkBudget(2.0)
    budget.charge("127.0.0.2", 1.5)
    assert budget.wait("127.0.0.2") == 0.0  # within its share
    budget.charge("127.0.0.2", 1.0)  # work is charged after it is done, so it may overrun
    wait = budget.wait("127.0.0.2")
    assert 1.0 <= wait <= 60.0
    assert budget.wait("127.0.0.3") == 0.0
    assert budget.refusal(wait).startswith("max_work_per_client:")
