def test_home_page_lists_plans(client, plan_2021, cambodia):
    response = client.get("/")
    assert response.status_code == 200
    assert "Regional Plan of Action 2021–2025" in response.content.decode()
