"""Polish date formats as people here write them: "07.12.2026, 13:30".

Django's own Polish module writes short dates with dashes and two spaces before the time
("07-12-2026  13:30"); every other format (long dates, input formats) comes from Django's module.
"""
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y, H:i"
