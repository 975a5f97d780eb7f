"""Copies and stories: what is collapsed, what is shown together, and the story page and API."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from crawler.article import Article
from crawler.store import Store
from index import build_index, index_path, update_index
from index.analysis import Stemmer
from index.dedup import DuplicateGroups
from index.stories import STORIES_FILE, STORIES_VERSION, Stories, _Window, sign_article
from searcher import Searcher
from tests.conftest import flood_reports
from web import create_app
from web.handles import close_app

BANJIR_BODY = (
    "Banjir setinggi satu meter merendam Perumahan Griya Rawalumbu di Kota Bekasi pada Senin "
    "pagi setelah hujan deras mengguyur sejak Minggu malam. Kapolsek Rawalumbu Kompol "
    "Darmawansyah mengatakan sebanyak 340 keluarga mengungsi ke Masjid Al Hidayah. Petugas "
    "BPBD Kota Bekasi mengerahkan empat perahu karet untuk mengevakuasi warga lanjut usia. "
    "Air mulai surut menjelang sore, namun warga diminta tetap waspada karena Kali Bekasi "
    "masih meluap di beberapa titik."
)


def article(id, title, body, source, published):
    return Article(
        id=id,
        title=title,
        body=body,
        source=source,
        published=published,
        url=f"https://contoh.test/{id}",
    )


COPY_SOURCE = article(
    "kompas-banjir", "Banjir Rendam Rawalumbu", BANJIR_BODY, "Kompas", "2024-11-11T09:00:00+07:00"
)
# Syndication under a new headline, the same morning.
COPY = article(
    "tribun-banjir",
    "Ratusan Keluarga Mengungsi, Rawalumbu Terendam",
    BANJIR_BODY,
    "Tribunnews",
    "2024-11-11T11:00:00+07:00",
)
# Another outlet's own report of the same flood: other words, same names, same day.
SAME_EVENT = article(
    "detik-banjir",
    "Perahu karet BPBD evakuasi lansia di Griya Rawalumbu",
    "Empat perahu karet milik BPBD dikerahkan ke Perumahan Griya Rawalumbu, Bekasi, setelah "
    "Kali Bekasi meluap. Menurut Kompol Darmawansyah, 340 keluarga kini bermalam di Masjid "
    "Al Hidayah. Ketinggian genangan sempat mencapai pinggang orang dewasa.",
    "Detik",
    "2024-11-11T15:00:00+07:00",
)
# The same place and people six days later: a follow-up, another story.
FOLLOW_UP = article(
    "detik-tanggul",
    "Tanggul Kali Bekasi di Griya Rawalumbu mulai diperbaiki",
    "Sepekan setelah banjir, Pemkot Bekasi memperbaiki tanggul Kali Bekasi di Perumahan Griya "
    "Rawalumbu. Kompol Darmawansyah meminta warga di sekitar Masjid Al Hidayah menjaga "
    "kebersihan saluran air.",
    "Detik",
    "2024-11-17T10:00:00+07:00",
)
# Another outlet's report of the flood the next day, imported later (an update).
LATE_REPORT = article(
    "antara-banjir",
    "Pengungsi banjir Rawalumbu terima bantuan",
    "Sebanyak 340 keluarga pengungsi banjir di Masjid Al Hidayah, Perumahan Griya Rawalumbu, "
    "menerima bantuan makanan dari BPBD Kota Bekasi. Kompol Darmawansyah memastikan keamanan "
    "rumah yang ditinggalkan warga selama Kali Bekasi masih meluap.",
    "Antara",
    "2024-11-12T08:00:00+07:00",
)

RECIPE_INTRO = (
    "Selamat datang di dapur kami. Setiap hari Chef Arnold berbagi resep rumahan yang mudah, "
    "murah dan bergizi untuk keluarga Indonesia, dengan bahan yang bisa dibeli di pasar "
    "terdekat dan peralatan dapur sederhana yang ada di setiap rumah. "
)
DISHES = [
    ("rendang", "daging sapi, santan kental, cabai merah dan lengkuas dimasak perlahan"),
    ("soto", "ayam kampung, kunyit, serai dan koya ditabur di atas kuah bening"),
    ("gado", "sayuran rebus disiram bumbu kacang dengan kerupuk udang"),
    ("pepes", "ikan kembung dibungkus daun pisang bersama kemangi lalu dikukus"),
    ("klepon", "tepung ketan berisi gula merah digulung kelapa parut"),
    ("opor", "ayam dimasak santan dengan ketumbar dan kemiri hingga empuk"),
]
# One outlet's recipes sharing a long intro, on six days (two of them consecutive).
RECIPES = [
    article(
        f"resep-{name}",
        f"Resep {name}",
        RECIPE_INTRO + f"Hari ini kita membuat {name}: {dish}.",
        "Dapurku",
        f"2024-10-{day:02d}T07:00:00+07:00",
    )
    for (name, dish), day in zip(DISHES, (1, 2, 8, 15, 22, 29), strict=True)
]
ARTICLES = [COPY_SOURCE, COPY, SAME_EVENT, FOLLOW_UP, *RECIPES]


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "data") as store:
        store.upsert_many(ARTICLES)
        yield store


@pytest.fixture
def searcher(store, tmp_path):
    link = index_path(tmp_path / "data")
    build_index(store, link)
    found = Searcher(link)
    yield found
    found.close()


def hit_of(searcher: Searcher, query: str, article_id: str):
    hits = searcher.search(query, page_size=50).hits
    return next(hit for hit in hits if hit.id == article_id)


def test_a_syndicated_copy_under_a_new_headline_is_collapsed(searcher):
    hit = hit_of(searcher, "Rawalumbu", "kompas-banjir")
    assert hit.duplicates == ["tribun-banjir"]
    ids = [h.id for h in searcher.search("Rawalumbu", page_size=50).hits]
    assert "tribun-banjir" not in ids


def test_another_outlets_report_joins_the_story_but_is_not_collapsed(searcher):
    hits = {h.id: h for h in searcher.search("Rawalumbu", page_size=50).hits}
    assert "detik-banjir" in hits
    assert hits["detik-banjir"].duplicates == []
    assert hits["kompas-banjir"].story.id == hits["detik-banjir"].story.id == "kompas-banjir"
    assert (hits["detik-banjir"].story.articles, hits["detik-banjir"].story.sources) == (3, 3)


def test_a_follow_up_days_later_is_another_story(searcher):
    assert hit_of(searcher, "tanggul", "detik-tanggul").story is None


def test_template_text_neither_collapses_nor_groups(searcher):
    rendang = hit_of(searcher, "resep", "resep-rendang")
    soto = hit_of(searcher, "resep", "resep-soto")
    assert (rendang.duplicates, soto.duplicates) == ([], [])
    assert (rendang.story, soto.story) == (None, None)


def test_story_lists_every_report_in_time_order(searcher):
    story = searcher.story("kompas-banjir")
    assert [a.id for a in story.articles] == ["kompas-banjir", "tribun-banjir", "detik-banjir"]
    assert story.title == "Banjir Rendam Rawalumbu"
    assert story.first_published.startswith("2024-11-11")
    assert story.sources == ["Kompas", "Tribunnews", "Detik"]
    assert searcher.story("tidak-ada") is None


def test_a_story_grows_through_an_update(store, searcher, tmp_path):
    store.upsert_many([LATE_REPORT])
    update_index(store, index_path(tmp_path / "data"))
    story = searcher.story("kompas-banjir")
    assert [a.id for a in story.articles][-1] == "antara-banjir"
    assert len(story.articles) == 4
    assert hit_of(searcher, "Rawalumbu", "detik-banjir").story.id == "kompas-banjir"
    assert hit_of(searcher, "tanggul", "detik-tanggul").story is None


def placements(link) -> dict[str, tuple[str, str]]:
    """Every article's (copy group, story), as the index keeps them."""
    gen_dir = link.resolve()
    groups, stories = DuplicateGroups.load(gen_dir).groups, Stories.load(gen_dir).story
    return {i: (groups[i], stories[i]) for i in groups}


def test_updates_place_articles_as_a_rebuild_would(store, searcher, tmp_path):
    link = index_path(tmp_path / "data")
    # Another report of the flood, a fire and its copy, a recipe gone; then one more
    # recipe with the outlet's intro (a template, so no copy).
    fire = article(
        "kompas-kebakaran",
        "Kebakaran gudang mebel di Cakung",
        "Api melalap gudang mebel di Jalan Raya Cakung Cilincing, Jakarta Timur, pada Selasa "
        "dini hari. Kepala Sudin Gulkarmat Jakarta Timur Gatot Sulaeman menyebut 18 unit "
        "mobil pemadam dikerahkan dan api padam setelah empat jam. Tidak ada korban jiwa, "
        "kerugian ditaksir mencapai Rp 2 miliar.",
        "Kompas",
        "2024-11-12T06:00:00+07:00",
    )
    late_copy = dataclasses.replace(
        fire,
        id="tribun-kebakaran",
        title="Gudang mebel Cakung terbakar",
        source="Tribunnews",
        published="2024-11-12T09:00:00+07:00",
        url="https://contoh.test/tribun-kebakaran",
    )
    store.upsert_many([LATE_REPORT, fire, late_copy])
    store.delete("resep-gado")
    update_index(store, link)
    recipe = dataclasses.replace(
        RECIPES[0],
        id="resep-sayur",
        title="Resep sayur asem",
        url="https://contoh.test/resep-sayur",
        published="2024-10-03T07:00:00+07:00",
        body=RECIPE_INTRO
        + ("Hari ini kita membuat sayur asem: kacang panjang, labu siam dan asam jawa."),
    )
    store.upsert_many([recipe])
    update_index(store, link)  # reads the state the first update saved

    updated = placements(link)
    rebuilt = index_path(tmp_path / "rebuilt")
    build_index(store, rebuilt)
    assert updated == placements(rebuilt)
    assert updated["tribun-kebakaran"] == ("kompas-kebakaran", "kompas-kebakaran")
    assert updated["antara-banjir"][1] == "kompas-banjir"
    assert updated["resep-sayur"] == ("resep-sayur", "resep-sayur")
    assert "resep-gado" not in updated


def test_saved_sketches_survive_their_chunks_being_joined(searcher, tmp_path):
    gen_dir = index_path(tmp_path / "data").resolve()
    stories = Stories.load(gen_dir)
    before = {i: stories.sketches[i] for i in stories.sketches}
    stories.add_sketches({"baru": before["detik-banjir"]})
    stories.save(gen_dir)  # the added sketch: a second chunk
    assert len(list(gen_dir.glob("stories-*.bin"))) == 2
    stories = Stories.load(gen_dir)
    stories.forget(["resep-gado", "resep-pepes"])
    stories.save(gen_dir)  # a sixth of the rows gone: one chunk again
    assert len(list(gen_dir.glob("stories-*.bin"))) == 1

    loaded = Stories.load(gen_dir).sketches
    expected = {i: s for i, s in before.items() if i not in ("resep-gado", "resep-pepes")}
    expected["baru"] = before["detik-banjir"]
    assert sorted(loaded) == sorted(expected)
    for article_id, sketch in expected.items():
        got = loaded[article_id]
        assert (got.day, got.moment, got.source, got.quoted) == (
            sketch.day,
            sketch.moment,
            sketch.source,
            sketch.quoted,
        )
        for field in ("shingles", "terms", "counts"):
            assert np.array_equal(getattr(got, field), getattr(sketch, field))
    terms = np.concatenate([s.terms for s in expected.values()])
    vocab, df = loaded.document_frequencies()
    assert [vocab.tolist(), df.tolist()] == [
        a.tolist() for a in np.unique(terms, return_counts=True)
    ]


# -- one outlet's own texts: reposts collapse, recycled background does not -----------

KPK_BACKGROUND = (
    "Komisi Pemberantasan Korupsi sebelumnya menetapkan Bupati Lampung Tengah Mustafa sebagai "
    "tersangka suap pengesahan anggaran daerah senilai Rp 9 miliar bersama dua anggota DPRD. "
    "Penyidik menyita uang tunai dalam operasi tangkap tangan di Bandar Lampung dan Jakarta, "
    "lalu menggeledah rumah dinas serta kantor dinas bina marga kabupaten itu. "
)
PERIKSA = article(
    "sindo-periksa",
    "KPK periksa Sekda Lampung Tengah",
    "Penyidik memeriksa Sekretaris Daerah Lampung Tengah Adi Erlansyah sebagai saksi selama "
    "delapan jam di gedung Merah Putih, Kuningan, Jakarta Selatan. " + KPK_BACKGROUND,
    "Sindonews",
    "2024-11-04T10:00:00+07:00",
)
# The same outlet, 20 hours later, a new development over the same background paragraph.
TAHAN = article(
    "sindo-tahan",
    "Dua anggota DPRD Lampung Tengah ditahan",
    "Dua anggota DPRD Lampung Tengah resmi ditahan di rumah tahanan Pomdam Jaya Guntur usai "
    "diperiksa sebagai tersangka dan mengenakan rompi oranye. " + KPK_BACKGROUND,
    "Sindonews",
    "2024-11-05T06:00:00+07:00",
)
# The outlet posting its own text again two hours later, under a new headline.
REPOST = dataclasses.replace(
    PERIKSA,
    id="sindo-periksa-2",
    title="Sekda Lampung Tengah diperiksa KPK delapan jam",
    published="2024-11-04T12:00:00+07:00",
    url="https://contoh.test/sindo-periksa-2",
)


@pytest.fixture
def outlet_searcher(tmp_path):
    with Store.open(tmp_path / "outlet") as store:
        store.upsert_many([PERIKSA, TAHAN, REPOST])
        build_index(store, index_path(tmp_path / "outlet"))
    found = Searcher(index_path(tmp_path / "outlet"))
    yield found
    found.close()


def test_an_outlets_recycled_background_under_a_new_development_is_not_a_copy(outlet_searcher):
    tahan = hit_of(outlet_searcher, "Lampung", "sindo-tahan")
    assert tahan.duplicates == []
    assert "sindo-tahan" not in hit_of(outlet_searcher, "Lampung", "sindo-periksa").duplicates


def test_an_outlets_repost_within_hours_is_a_copy(outlet_searcher):
    assert hit_of(outlet_searcher, "Lampung", "sindo-periksa").duplicates == ["sindo-periksa-2"]


# The outlet posting its own text once more two days later (a new headline, no new word).
REPOST_DAYS_LATER = dataclasses.replace(
    PERIKSA,
    id="sindo-periksa-3",
    title="Pemeriksaan Sekda Lampung Tengah oleh KPK",
    published="2024-11-06T09:00:00+07:00",
    url="https://contoh.test/sindo-periksa-3",
)


def test_an_outlets_identical_text_posted_again_days_later_is_a_copy(tmp_path):
    """Beyond the hours one outlet's rewrites get, its near-identical text posted again
    days later is still a copy; its recycled background under a new development is not."""
    data = tmp_path / "repost"
    with Store.open(data) as store:
        store.upsert_many([PERIKSA, TAHAN, REPOST_DAYS_LATER])
        build_index(store, index_path(data))
    found = Searcher(index_path(data))
    try:
        assert hit_of(found, "Lampung", "sindo-periksa").duplicates == ["sindo-periksa-3"]
        assert hit_of(found, "Lampung", "sindo-tahan").duplicates == []
    finally:
        found.close()


# -- two outlets at one doorstop: the same quotes, their own narration ----------------

DOORSTOP_QUOTES = (
    '"Kami sudah menyiapkan tiga ratus personel gabungan untuk mengamankan jalur mudik di '
    "sepanjang tol Cipali, termasuk pos kesehatan dan bengkel darurat di setiap rest area. "
    "Pengendara kami minta beristirahat setiap empat jam dan tidak memaksakan diri saat "
    'mengantuk," kata Irjen Rudy Sufahriadi. "Rekayasa lalu lintas satu arah akan kami '
    'berlakukan bila antrean di gerbang Palimanan melebihi lima kilometer," ujarnya.'
)
DOORSTOP = article(
    "kompas-mudik",
    "Polda Jabar siapkan 300 personel amankan tol Cipali",
    "Kepolisian Daerah Jawa Barat menggelar apel pasukan Operasi Ketupat di lapangan Gasibu, "
    "Bandung, pada Senin pagi. Kapolda memimpin langsung pemeriksaan kendaraan patroli, "
    "ambulans dan perlengkapan personel sebelum seluruh regu diberangkatkan ke pos masing-"
    "masing di jalur selatan dan utara provinsi itu. " + DOORSTOP_QUOTES,
    "Kompas",
    "2024-04-01T10:00:00+07:00",
)
# Another outlet's own write-up of the same doorstop: the same quotes, other narration.
DOORSTOP_OTHER = article(
    "detik-mudik",
    "Jelang mudik, polisi perketat pengawasan tol Cipali",
    "Menjelang arus mudik Lebaran, jajaran kepolisian memperketat pengawasan ruas tol yang "
    "biasanya padat. Rencana itu disampaikan kepada wartawan seusai apel gelar pasukan, "
    "sembari menunjukkan peta titik rawan kemacetan, kecelakaan dan genangan yang sudah "
    "dipetakan bersama dinas perhubungan setempat sejak bulan lalu. " + DOORSTOP_QUOTES,
    "Detik",
    "2024-04-01T13:00:00+07:00",
)
# Syndication of the first write-up: narration and quotes alike.
DOORSTOP_COPY = dataclasses.replace(
    DOORSTOP,
    id="tribun-mudik",
    title="Tol Cipali dijaga 300 personel selama mudik",
    source="Tribunnews",
    published="2024-04-01T12:00:00+07:00",
    url="https://contoh.test/tribun-mudik",
)
# A written statement printed whole by two outlets, each with a line of its own.
STATEMENT_QUOTE = (
    '"Perusahaan menghentikan sementara penjualan tiket rute Jakarta-Medan mulai Selasa '
    "karena pesawat sedang menjalani perawatan berkala di hanggar Batam. Penumpang yang "
    "sudah membeli tiket dapat mengajukan pengembalian dana penuh atau menjadwalkan ulang "
    "penerbangan tanpa biaya melalui pusat layanan pelanggan hingga akhir bulan depan. Kami "
    'memohon maaf atas ketidaknyamanan ini."'
)
STATEMENT = article(
    "okezone-tiket",
    "Maskapai hentikan penjualan tiket Jakarta-Medan",
    "Manajemen maskapai mengeluarkan pernyataan tertulis pada Senin. " + STATEMENT_QUOTE,
    "Okezone",
    "2024-04-01T09:00:00+07:00",
)
STATEMENT_OTHER = article(
    "sindo-tiket",
    "Rute Jakarta-Medan ditutup sementara",
    "Berikut isi keterangan resmi yang diterima redaksi. " + STATEMENT_QUOTE + " Demikian isinya.",
    "Sindonews",
    "2024-04-01T10:30:00+07:00",
)


@pytest.fixture
def doorstop_searcher(tmp_path):
    data = tmp_path / "doorstop"
    with Store.open(data) as store:
        store.upsert_many([DOORSTOP, DOORSTOP_OTHER, DOORSTOP_COPY, STATEMENT, STATEMENT_OTHER])
        build_index(store, index_path(data))
    found = Searcher(index_path(data))
    yield found
    found.close()


def test_quoted_passages_are_kept_apart_in_the_sketch():
    _, sketch = sign_article(DOORSTOP, Stemmer())
    _, bare = sign_article(dataclasses.replace(DOORSTOP, body=DOORSTOP_QUOTES), Stemmer())
    outside = sketch.shingles[: len(sketch.shingles) - sketch.quoted]
    assert 0 < sketch.quoted < len(sketch.shingles)
    assert set(sketch.quoted_shingles().tolist()) <= set(bare.quoted_shingles().tolist())
    assert not set(outside.tolist()) & set(sketch.quoted_shingles().tolist())
    assert sorted(sketch.shingles.tolist()) == sorted(set(sketch.shingles.tolist()))


def shown_groups(searcher: Searcher, query: str) -> set[frozenset[str]]:
    """The hits of a query, each with the copies collapsed behind it."""
    return {frozenset([h.id, *h.duplicates]) for h in searcher.search(query, page_size=50).hits}


def test_two_write_ups_with_the_same_quotes_are_one_story_not_copies(doorstop_searcher):
    """Two outlets at one doorstop print its quotes word for word; only a copy also
    shares the narration around them."""
    assert frozenset(["detik-mudik"]) in shown_groups(doorstop_searcher, "Cipali")
    detik = hit_of(doorstop_searcher, "Cipali", "detik-mudik")
    assert detik.story.id == "kompas-mudik"
    assert detik.story.articles == 3


def test_a_syndicated_write_up_with_its_quotes_is_still_a_copy(doorstop_searcher):
    assert frozenset(["kompas-mudik", "tribun-mudik"]) in shown_groups(doorstop_searcher, "Cipali")


def test_a_written_statement_printed_whole_is_a_copy(doorstop_searcher):
    """Nearly all quotes: too little narration to compare, so the whole text decides."""
    assert shown_groups(doorstop_searcher, "Medan") == {frozenset(["okezone-tiket", "sindo-tiket"])}


def test_sketches_of_an_older_version_ask_for_a_rebuild(indexed_data_dir, invoke):
    """The sketch format changed (quoted shingles): an update refuses the old sketches with
    a sentence, and a rebuild signs every article again."""
    state_file = index_path(indexed_data_dir).resolve() / STORIES_FILE
    state = pickle.loads(state_file.read_bytes())
    state_file.write_bytes(pickle.dumps(state | {"version": STORIES_VERSION - 1}))
    result = invoke("index", "update", expect=1)
    assert "written by another version of Warta" in result.output
    assert "`warta index build`" in result.output
    assert "Traceback" not in result.output
    invoke("index", "build")
    invoke("index", "update")
    sketches = Stories.load(index_path(indexed_data_dir).resolve()).sketches
    assert any(sketches[i].quoted for i in sketches)


# -- the web: the hit's story line, the story page and the API ---------------------


@pytest.fixture
def client(store, tmp_path):
    hostile = dataclasses.replace(
        SAME_EVENT, id="detik-banjir", source="<b>Detik</b>", title="Evakuasi <script>x</script>"
    )
    store.upsert_many([hostile])
    build_index(store, index_path(tmp_path / "data"))
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data")})
    yield app.test_client()
    close_app(app)


def test_results_page_says_who_else_reported_it(client):
    page = client.get("/?q=Rawalumbu").get_data(as_text=True)
    assert "Diberitakan juga oleh 2 media: &lt;b&gt;Detik&lt;/b&gt;, Tribunnews" in page
    assert 'href="/story/kompas-banjir"' in page
    assert "<b>Detik</b>" not in page


def test_story_page_lists_reports_escaped(client):
    response = client.get("/story/kompas-banjir")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Evakuasi &lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>x" not in page
    assert page.index("kompas-banjir") < page.index("tribun-banjir") < page.index("detik-banjir")
    assert "Laporan pertama" in page and "Laporan terakhir" in page


def test_story_api_and_its_404(client):
    data = client.get("/api/stories/kompas-banjir").get_json()
    assert set(data) == {"id", "title", "first_published", "last_published", "articles"}
    assert [a["id"] for a in data["articles"]] == ["kompas-banjir", "tribun-banjir", "detik-banjir"]
    assert set(data["articles"][0]) == {"id", "url", "title", "source", "published"}
    missing = client.get("/api/stories/tidak-ada")
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "There is no story with id 'tidak-ada'."
    assert client.get("/story/tidak-ada").status_code == 404


def test_search_api_hit_carries_its_story(client):
    hits = client.get("/api/search?q=Rawalumbu").get_json()["hits"]
    story = next(h["story"] for h in hits if h["id"] == "kompas-banjir")
    assert story == {"id": "kompas-banjir", "articles": 3, "sources": 3}


def test_a_story_relabelled_by_a_rebuild_leads_from_its_old_id(tmp_path):
    """A story is labelled with its first report: when an earlier report arrives and the
    index is rebuilt, the old label redirects (temporarily) to the story it is part of."""
    data = tmp_path / "data"
    earlier = dataclasses.replace(
        LATE_REPORT,
        id="antara-pagi",
        url="https://contoh.test/antara-pagi",
        published="2024-11-11T07:00:00+07:00",
    )
    with Store.open(data) as store:
        store.upsert_many([COPY_SOURCE, SAME_EVENT, FOLLOW_UP, *RECIPES])
        build_index(store, index_path(data))
        app = create_app({"TESTING": True, "DATA_DIR": str(data)})
        try:
            before = app.test_client().get("/api/stories/kompas-banjir").get_json()
            assert [a["id"] for a in before["articles"]] == ["kompas-banjir", "detik-banjir"]
        finally:
            close_app(app)
        store.upsert_many([earlier])
        build_index(store, index_path(data))
    app = create_app({"TESTING": True, "DATA_DIR": str(data)})
    try:
        client = app.test_client()
        for path, target in (
            ("/api/stories/kompas-banjir", "/api/stories/antara-pagi"),
            ("/story/kompas-banjir", "/story/antara-pagi"),
        ):
            moved = client.get(path)
            assert moved.status_code == 302, moved.get_data(as_text=True)
            assert moved.headers["Location"].endswith(target)
            assert "max-age" not in moved.headers.get("Cache-Control", "")
        story = client.get("/api/stories/kompas-banjir", follow_redirects=True).get_json()
        assert [a["id"] for a in story["articles"]] == [
            "antara-pagi",
            "kompas-banjir",
            "detik-banjir",
        ]
        assert client.get("/api/stories/tidak-ada").status_code == 404
    finally:
        close_app(app)


HOUR = 3600.0


@pytest.mark.parametrize(
    ("first", "member", "hours", "member_source", "joins"),
    [
        (0.32, 0.60, 30, "Detik", True),  # like a later report, still like the first
        (0.20, 0.60, 30, "Detik", False),  # drifted away from the first report
        (0.32, 0.60, 50, "Detik", False),  # beyond 45 hours of the first report
        (0.32, 0.60, 46, "Detik", False),  # two days apart without a time of day: 48 hours
        (0.32, 0.36, 30, "Detik", False),  # another outlet's report needs 0.38
        (0.32, 0.45, 30, "Antara", False),  # one outlet's own articles need more
        (0.32, 0.55, 30, "Antara", True),
    ],
)
def test_a_report_joins_a_story_through_any_member(first, member, hours, member_source, joins):
    seen = {
        "first": (0.0, "Kompas"),
        "member": (10 * HOUR, member_source),
        "new": (hours * HOUR, "Antara"),
    }
    window = _Window(["first"], {"first": ["first", "member"]}, ["first", "member"], seen)
    story = window.best("new", [0, 1], [first, member])
    assert story == ("first" if joins else "new")


@pytest.mark.parametrize("compared", [["early", "late"], ["late", "early"]])
def test_a_tie_goes_to_the_story_started_first(compared):
    """Equal cosines: the story started first wins, wherever its columns lie."""
    seen = {"early": (0.0, "Kompas"), "late": (HOUR, "Tempo"), "new": (5 * HOUR, "Antara")}
    members = {"early": ["early"], "late": ["late"]}
    window = _Window(["early", "late"], members, compared, seen)
    assert window.best("new", [0, 1], [0.6, 0.6]) == "early"
    assert (
        window.best("new", [0, 1], [0.6, 0.61] if compared[0] == "early" else [0.61, 0.6]) == "late"
    )


def test_short_undated_texts_sharing_a_phrase_are_not_copies(tmp_path):
    """Plain text files have no time to judge by; a phrase or two in common is
    not a copy (they were all collapsed into one hit by the MinHash threshold)."""
    articles = flood_reports()
    data = tmp_path / "data"
    with Store.open(data) as store:
        store.upsert_many(articles)
        build_index(store, index_path(data))
    searcher = Searcher(index_path(data))
    try:
        result = searcher.search("banjir")
    finally:
        searcher.close()
    assert result.total == 5
    assert sorted(h.id for h in result.hits) == [a.id for a in articles]
    assert all(h.duplicates == [] for h in result.hits)


WATER = (
    "Setelah tertunda selama dua bulan, pemerintah kabupaten Sleman akhirnya menaikkan "
    "tarif air bersih sebesar 12 persen bagi pelanggan rumah tangga sejak Senin (14/3)."
)
WATER_MORE = (
    " Bersamaan dengan kenaikan itu, perusahaan daerah diwajibkan memperbaiki pipa yang "
    "bocor di seluruh kecamatan. Apabila kewajiban itu diabaikan, warga bisa menuntut "
    "potongan tagihan."
)


def test_short_undated_texts_mostly_within_another_are_copies(tmp_path):
    """Undated, short and sharing under 20 shingles: the same paragraph with a space in
    a number, and the paragraph cut short, are copies; a text sharing a phrase is not."""
    articles = [
        Article(id="air-1", title="", body=WATER + WATER_MORE),
        Article(id="air-2", title="", body=WATER.replace("12 persen", "1 2 persen") + WATER_MORE),
        Article(id="air-3", title="", body=WATER),
        Article(
            id="air-4",
            title="",
            body="Warga Bantul mengeluhkan tarif air bersih yang naik, padahal pipa di desa "
            "mereka sering bocor dan air hanya mengalir pada malam hari.",
        ),
    ]
    data = tmp_path / "data"
    with Store.open(data) as store:
        store.upsert_many(articles)
        build_index(store, index_path(data))
    searcher = Searcher(index_path(data))
    try:
        hits = searcher.search("tarif air").hits
    finally:
        searcher.close()
    groups = sorted(sorted([h.id, *h.duplicates]) for h in hits)
    assert groups == [["air-1", "air-2", "air-3"], ["air-4"]]
