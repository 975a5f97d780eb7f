def test_home_page_has_a_search_box(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<input id="q" name="q"' in html
    assert "autofocus" in html


def test_results_page_highlights_matches(client):
    html = client.get("/?q=pengiriman+pasukan").get_data(as_text=True)
    assert "<mark>pengiriman</mark>" in html.lower()
    assert "Korut telah mengirim" in html


def test_api_search_returns_the_stable_shape(client):
    response = client.get("/api/search?q=banjir")
    assert response.status_code == 200
    data = response.get_json()
    assert data["total"] == 1
    assert data["hits"][0]["id"] == "bekasi-banjir"
    assert data["hits"][0]["published"].startswith("2024-11-14")


def test_api_bad_parameter_gets_the_error_shape(client):
    response = client.get("/api/search?q=banjir&page=abc")
    assert response.status_code == 400
    assert response.get_json() == {
        "ok": False, "error": "Parameter 'page' must be a whole number.", "status": 400}


def test_query_html_is_escaped(client):
    html = client.get("/?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
