"""The demo help centers of ``wysylki`` and ``kjm``, created through the services. Idempotent.

A manual per product, how-to articles (one customers-only, one internal, one scheduled, one in
English), forum topics (some solved, one turned into a ticket) and suggestions with votes.
"""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from core.models import Contact, Membership, Tenant
from helpcenter.models import Article, ForumCategory, HelpCategory, Post, Topic, Viewer
from helpcenter.services import forum, kb, suggestions
from helpcenter.search.index import topic_index
from helpcenter.services.common import rate_limit_off
from helpcenter.services.escalation import topic_escalate
from plans.models import Product

# product code: [(chapter slug, title, body, [(section slug, title, body), …]), …]
MANUALS = {
    "wysylki": {"wysylki": [
        ("pierwsze-kroki", "Pierwsze kroki", "Ten rozdział prowadzi od instalacji do pierwszej wysyłki.", [
            ("instalacja", "Instalacja programu",
             "1. Pobierz instalator z panelu klienta.\n2. Uruchom go na komputerze z dostępem do bazy danych.\n"
             "3. Podaj **klucz licencji** z wiadomości powitalnej.\n\n> Program wymaga systemu Windows 10 lub "
             "nowszego oraz 4 GB pamięci RAM."),
            ("pierwsza-wysylka", "Pierwsza wysyłka",
             "Otwórz **Zamówienia → Nowe**, wybierz przewoźnika i kliknij *Nadaj*. Program pobierze numer listu "
             "przewozowego i wydrukuje etykietę na domyślnej drukarce."),
        ]),
        ("przewoznicy", "Przewoźnicy", "Konfiguracja kont u przewoźników i usług dodatkowych.", [
            ("inpost", "InPost: paczkomaty i kurier",
             "W **Ustawienia → Przewoźnicy → InPost** wklej token API ze strony Managera Paczek. Dla paczkomatów "
             "zaznacz *Domyślny rozmiar gabarytu*; rozmiar możesz zmienić przy każdym zamówieniu."),
            ("dpd", "DPD: etykiety i protokoły",
             "Etykiety DPD drukują się w formacie 10×15 cm. Jeżeli etykieta jest pusta, sprawdź w ustawieniach "
             "drukarki, czy wybrany jest język **ZPL** i rozdzielczość 203 dpi.\n\n| Ustawienie | Wartość |\n"
             "|---|---|\n| Format | ZPL |\n| Rozdzielczość | 203 dpi |"),
        ]),
        ("zamkniecie-dnia", "Zamknięcie dnia", "Protokoły przekazania, manifesty i faktury za usługi.", [
            ("manifest", "Manifest i protokół przekazania",
             "Na koniec dnia wybierz **Wysyłki → Zamknij dzień**. Program wygeneruje manifest dla każdego "
             "przewoźnika i protokół przekazania do podpisu kuriera."),
            ("faktury-przewoznikow", "Faktury przewoźników",
             "Fakturę od przewoźnika zaimportujesz w **Rozliczenia → Import faktur**. Program porówna pozycje "
             "faktury z nadanymi przesyłkami i pokaże różnice w opłatach."),
        ]),
    ]},
    "kjm": {
        "fk": [
            ("ksiegowanie", "Księgowanie dokumentów", "Jak wprowadzać i księgować dokumenty w programie F-K.", [
                ("dekretacja", "Dekretacja faktury zakupu",
                 "Otwórz **Dokumenty → Zakup**, wskaż kontrahenta i kwoty, a następnie przypisz konta w zakładce "
                 "*Dekret*. Zatwierdzony dekret trafia do dziennika."),
                ("korekta-faktury", "Korekta faktury",
                 "Błędną fakturę popraw dokumentem korygującym: **Dokumenty → Korekta**. Pierwotnej faktury po "
                 "zaksięgowaniu nie zmienia się — program zachowuje historię zapisów."),
            ]),
            ("zamkniecie-roku", "Zamknięcie roku", "Bilans otwarcia i rozdzielenie lat.", [
                ("rozdzielenie-lat", "Rozdzielenie lat",
                 "Rozdzielenie lat wykonuje serwis KJM w godzinach pracy. Przed zleceniem wykonaj kopię bazy i "
                 "zamknij wszystkie okresy poprzedniego roku."),
            ]),
        ],
        "kadry-place": [
            ("listy-plac", "Listy płac", "Naliczanie wynagrodzeń i deklaracje.", [
                ("naliczanie", "Naliczanie listy płac",
                 "W **Płace → Listy** utwórz listę za miesiąc, dodaj pracowników i kliknij *Nalicz*. Zmiany "
                 "stawek ZUS program pobiera z tabeli parametrów."),
            ]),
        ],
        "soot": [
            ("odczyty", "Odczyty wodomierzy", "Import odczytów i rozliczenie zużycia wody.", [
                ("import-odczytow", "Import odczytów z inkasenta",
                 "Plik z urządzenia inkasenta zaimportujesz w **Odczyty → Import**. Odczyty niższe od poprzednich "
                 "program oznacza do sprawdzenia."),
            ]),
        ],
    },
}

# category (slug, name, name_en): [(slug, title, body, visibility, extra)]
HOWTOS = {
    "wysylki": {("faktury", "Faktury i rozliczenia", "Invoices and billing"): [
        ("faktura-za-wysylke", "Jak wystawić fakturę za wysyłkę",
         "Fakturę dla klienta za koszt wysyłki wystawisz w **Zamówienia → Faktura**. Kwotę program pobiera "
         "z cennika przewoźnika; możesz ją zmienić przed zapisaniem faktury.", "public", {}),
        ("rabaty-przewoznikow", "Rabaty przewoźników w planach płatnych",
         "Klienci planów START i STANDARD mogą poprosić o pomoc w negocjacji rabatu z przewoźnikiem.", "customers",
         {}),
        ("procedura-reklamacji", "Procedura: reklamacja faktury przewoźnika",
         "Wewnętrzna procedura zespołu: zbierz numery listów, porównaj z importem faktur, zgłoś przez portal "
         "przewoźnika.", "internal", {}),
    ], ("drukarki", "Drukarki i etykiety", "Printers and labels"): [
        ("pusta-etykieta", "Etykieta drukuje się pusta",
         "Najczęstsza przyczyna to zły język drukarki. Ustaw **ZPL** w sterowniku i wydrukuj stronę testową.",
         "public", {"en": ("blank-label", "The label prints blank",
                           "Usually the printer language is wrong. Set **ZPL** in the driver and print a test page.")}),
        ("nowy-format-etykiet", "Nowy format etykiet A6 (od przyszłego miesiąca)",
         "Od przyszłego miesiąca program obsłuży etykiety A6 dla wszystkich przewoźników.", "public",
         {"scheduled": True}),
    ]},
    "kjm": {("obsluga", "Obsługa programów", "Using the programs"): [
        ("kopia-bazy", "Jak wykonać kopię bazy danych",
         "Kopię bazy wykonasz w **Narzędzia → Kopia bezpieczeństwa**. Przechowuj ją poza serwerem.", "public", {}),
        ("zgloszenie-awarii", "Awaria krytyczna: jak zgłosić",
         "Awarię, przy której system nie działa na żadnym stanowisku, zgłoś telefonicznie opiekunowi klienta.",
         "customers", {}),
    ]},
}

FORUM = {
    "wysylki": [("konfiguracja", "Konfiguracja programu", "Ustawienia, przewoźnicy, drukarki"),
                ("regexp", "Wyrażenia regularne", "Pomoc przy tworzeniu wyrażeń regularnych w regułach"),
                ("dobre-praktyki", "Dobre praktyki", "Jak pracują inni użytkownicy programu")],
    "kjm": [("fk", "F-K", "Program finansowo-księgowy"), ("kadry-place", "Kadry-Płace", "Kadry i płace")],
}

# tenant: (category, asker contact, title, body, [(author: "staff"|contact name, body)], solved reply index or None)
TOPICS = {
    "wysylki": [
        ("konfiguracja", "Ewa Kwiatkowska", "Etykiety DPD drukują się puste",
         "Od wczoraj etykiety DPD wychodzą z drukarki puste. InPost drukuje poprawnie. Co sprawdzić?",
         [("staff", "Proszę sprawdzić język drukarki: dla DPD musi być **ZPL**. Opis jest w podręczniku, "
                    "rozdział *Przewoźnicy → DPD*."),
          ("Ewa Kwiatkowska", "Pomogło, dziękuję! Sterownik przełączył się na EPL po aktualizacji.")], 0),
        ("regexp", "Paweł Nowicki", "Wyrażenie regularne dla numeru zamówienia z prefiksem",
         "Numery zamówień mają postać `SKLEP-2026-00123`. Jak wyciągnąć samą liczbę na etykietę?",
         [("staff", "Wystarczy `SKLEP-\\d{4}-(\\d+)` — grupa 1 zawiera numer."),
          ("Joanna Stolarczyk", "U nas działa to samo, tylko z prefiksem MEB.")], 0),
        ("konfiguracja", "Joanna Stolarczyk", "Paczkomaty InPost — domyślny gabaryt",
         "Czy da się ustawić domyślny gabaryt B dla paczkomatów, a zmieniać go tylko przy wybranych zamówieniach?",
         [("staff", "Tak: Ustawienia → Przewoźnicy → InPost → *Domyślny rozmiar gabarytu*.")], 0),
        ("dobre-praktyki", "Paweł Nowicki", "Jak organizujecie zamknięcie dnia przy kilku przewoźnikach?",
         "Mamy pięciu przewoźników i zamykanie dnia trwa pół godziny. Macie jakieś sposoby?",
         [("Joanna Stolarczyk", "Zamykamy DPD i InPost o 14:00, resztę o 16:00 — kurierzy przyjeżdżają osobno."),
          ("Ewa Kwiatkowska", "My drukujemy protokoły zbiorczo na koniec dnia.")], None),
        ("konfiguracja", "Ewa Kwiatkowska", "Import faktury przewoźnika pokazuje różnice w opłatach",
         "Po imporcie faktury DPD program pokazuje różnice przy co dziesiątej przesyłce. Skąd się biorą?",
         [("staff", "Różnice to zwykle dopłaty paliwowe naliczane przez przewoźnika po nadaniu.")], None),
        ("konfiguracja", "Krzysztof Prądzyński", "Integracja z WMS — jak ustawić eksport co 5 minut?",
         "Chcemy, żeby zamówienia trafiały do WMS częściej niż co godzinę. Gdzie to się ustawia?",
         [], None),
        ("dobre-praktyki", "Joanna Stolarczyk", "Faktury zbiorcze dla stałych klientów",
         "Czy ktoś wystawia faktury zbiorcze za wysyłki raz w miesiącu? Jak to ustawiliście?",
         [("Paweł Nowicki", "Tak, korzystamy z eksportu do programu księgowego i tam łączymy pozycje.")], None),
        ("regexp", "Ewa Kwiatkowska", "Walidacja numeru telefonu odbiorcy",
         "Jakie wyrażenie przepuści numery z +48 i bez, ze spacjami?",
         [("staff", "Proponujemy `^(\\+48)?\\s?\\d{3}\\s?\\d{3}\\s?\\d{3}$`.")], 0),
    ],
    "kjm": [
        ("fk", "Barbara Księgowa", "Korekta faktury po zamknięciu miesiąca",
         "Jak poprawić fakturę zaksięgowaną w zamkniętym miesiącu?",
         [("staff", "Dokumentem korygującym w bieżącym okresie — opis w podręczniku F-K, *Korekta faktury*.")], 0),
        ("fk", "Zofia Zarządca", "Bilans otwarcia nie zgadza się z zamknięciem",
         "Po rozdzieleniu lat bilans otwarcia różni się o kilka groszy od zamknięcia. Co robić?",
         [], None),
        ("kadry-place", "Henryk Bilansowy", "Nowe stawki ZUS od stycznia",
         "Czy program sam pobierze nowe stawki, czy trzeba je wpisać?",
         [("staff", "Stawki są w aktualizacji; po jej instalacji sprawdź tabelę parametrów.")], 0),
        ("kadry-place", "Barbara Księgowa", "Eksport deklaracji do PUE ZUS",
         "Gdzie znajdę plik KEDU do wysłania przez PUE?", [], None),
    ],
}
ESCALATE = {"wysylki": None, "kjm": "Bilans otwarcia nie zgadza się z zamknięciem"}

SUGGESTIONS = {
    "wysylki": [
        ("Paweł Nowicki", "Etykiety A6 dla wszystkich przewoźników",
         "Chcemy drukować wszystkie etykiety na jednej drukarce A6.", "planned",
         "Planujemy to na wersję 8.2.", ["Ewa Kwiatkowska", "Joanna Stolarczyk", "Krzysztof Prądzyński"]),
        ("Ewa Kwiatkowska", "Powiadomienia SMS o nadaniu paczki",
         "Klienci pytają, kiedy przyjdzie paczka. SMS z numerem listu by pomógł.", "analysing", "",
         ["Paweł Nowicki"]),
        ("Joanna Stolarczyk", "Ciemny motyw interfejsu", "Magazyn pracuje w nocy; jasny ekran męczy oczy.", "new", "",
         []),
        ("Krzysztof Prądzyński", "Eksport do WMS co minutę", "Godzinny eksport to za rzadko przy dużym ruchu.", "done",
         "Od wersji 8.1 interwał można ustawić od 1 minuty.", ["Paweł Nowicki", "Joanna Stolarczyk"]),
        ("Ewa Kwiatkowska", "Drukowanie etykiet A6", "Duplikat: jedna drukarka do wszystkich etykiet.", "new", "",
         ["Krzysztof Prądzyński"]),
    ],
    "kjm": [
        ("Barbara Księgowa", "Import wyciągów bankowych w formacie MT940",
         "Ręczne wprowadzanie wyciągów zajmuje nam dzień w miesiącu.", "planned", "W przygotowaniu.",
         ["Zofia Zarządca", "Henryk Bilansowy"]),
        ("Zofia Zarządca", "Raport zużycia wody per budynek w SOOT", "Potrzebujemy zestawienia dla zarządu.", "new", "",
         []),
    ],
}
MERGE = {"wysylki": ("Drukowanie etykiet A6", "Etykiety A6 dla wszystkich przewoźników")}


def seed_helpcenter() -> None:
    for slug in ("wysylki", "kjm"):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None or Article.objects.for_tenant(tenant).exists():
            continue
        with rate_limit_off():
            _seed(tenant)


def _viewer_of(tenant: Tenant, who: str) -> Viewer:
    if who == "staff":
        membership = (Membership.objects.for_tenant(tenant).select_related("user").filter(role="agent")
                      .order_by("id").first())
        return Viewer(tenant=tenant, user=membership.user, membership=membership)
    contact = Contact.objects.for_tenant(tenant).select_related("user", "organization").get(name=who)
    return Viewer(tenant=tenant, user=contact.user, contact=contact)


def _seed(tenant: Tenant) -> None:
    slug = tenant.slug
    admin = Membership.objects.for_tenant(tenant).filter(role="admin").select_related("user").first()
    actor = admin.user if admin else None
    now = timezone.now()

    def publish(article, at=None):
        return kb.article_publish(tenant=tenant, article=article, actor=actor, at=at)

    for code, chapters in MANUALS[slug].items():
        product = Product.objects.for_tenant(tenant).get(code=code)
        for c_pos, (c_slug, c_title, c_body, sections) in enumerate(chapters, 1):
            chapter = publish(kb.article_save(tenant=tenant, actor=actor, kind="manual", product=product,
                                              slug=f"{code}-{c_slug}", title=c_title, body=c_body, position=c_pos))
            for s_pos, (s_slug, s_title, s_body) in enumerate(sections, 1):
                publish(kb.article_save(tenant=tenant, actor=actor, kind="manual", product=product, parent=chapter,
                                        slug=f"{code}-{s_slug}", title=s_title, body=s_body, position=s_pos))
    for position, ((c_slug, name, name_en), articles) in enumerate(HOWTOS[slug].items()):
        category = HelpCategory.objects.create(tenant=tenant, slug=c_slug, name=name, name_en=name_en,
                                               position=position)
        for a_pos, (a_slug, title, body, visibility, extra) in enumerate(articles):
            article = kb.article_save(tenant=tenant, actor=actor, slug=a_slug, title=title, body=body,
                                      category=category, visibility=visibility, position=a_pos)
            publish(article, at=now + timedelta(days=30) if extra.get("scheduled") else None)
            if "en" in extra:
                en_slug, en_title, en_body = extra["en"]
                publish(kb.article_save(tenant=tenant, actor=actor, slug=en_slug, title=en_title, body=en_body,
                                        category=category, visibility=visibility, language="en",
                                        translation_key=article.translation_key, position=a_pos))

    categories = {}
    for position, (c_slug, name, description) in enumerate(FORUM[slug]):
        product = Product.objects.for_tenant(tenant).filter(code=c_slug).first()
        categories[c_slug] = ForumCategory.objects.create(tenant=tenant, slug=c_slug, name=name,
                                                          description=description, product=product,
                                                          position=position)
    topics = len(TOPICS[slug])
    for index, (c_slug, asker, title, body, replies, solved) in enumerate(TOPICS[slug]):
        start = now - timedelta(days=3 * (topics - index), hours=index)
        topic = forum.topic_create(tenant=tenant, viewer=_viewer_of(tenant, asker), category=categories[c_slug],
                                   title=title, body=body, at=start)
        # The demo's customers are long-standing forum members: nothing of theirs waits for moderation.
        Topic.objects.for_tenant(tenant).filter(pk=topic.pk).update(held=False)
        Post.objects.for_tenant(tenant).filter(topic=topic).update(held=False)
        posts = []
        for r_index, (who, text) in enumerate(replies, 1):
            posts.append(forum.post_add(tenant=tenant, viewer=_viewer_of(tenant, who), topic=topic, body=text,
                                        at=start + timedelta(hours=2 * r_index)))
        Post.objects.for_tenant(tenant).filter(topic=topic).update(held=False)
        topic.refresh_from_db()
        for post in posts:
            post.held = False
        forum._recount(topic)
        if solved is not None:
            forum.solution_mark(tenant=tenant, viewer=_viewer_of(tenant, asker), post=posts[solved])
        else:
            topic_index(topic)
        if ESCALATE.get(slug) == title:
            topic_escalate(tenant=tenant, viewer=_viewer_of(tenant, asker), topic=topic,
                           topic_url=f"http://{tenant.domain}/help/forum/t/{topic.pk}/")

    created = {}
    for author, title, body, status, answer, voters in SUGGESTIONS[slug]:
        suggestion = suggestions.suggestion_create(tenant=tenant, viewer=_viewer_of(tenant, author), title=title,
                                                   body=body)
        for voter in voters:
            suggestions.suggestion_vote(tenant=tenant, viewer=_viewer_of(tenant, voter), suggestion=suggestion,
                                        vote=True)
        if status != "new" or answer:
            suggestions.suggestion_answer(tenant=tenant, viewer=_viewer_of(tenant, "staff"), suggestion=suggestion,
                                          status=status, answer=answer)
        created[title] = suggestion
    if slug in MERGE:
        duplicate, into = MERGE[slug]
        suggestions.suggestion_merge(tenant=tenant, viewer=_viewer_of(tenant, "staff"), duplicate=created[duplicate],
                                     into=created[into])
