from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, Window
from rest_framework.pagination import PageNumberPagination

TOTAL = "_window_total"


class StandardPagination(PageNumberPagination):
    """`?page=N&page_size=M`: 20 by default, never more than 100."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class WindowCountPaginator(Paginator):
    """A page and the total in one query (`COUNT(*) OVER ()` on the page's rows): the separate
    COUNT query runs only when the page comes back empty. Works on model and values() querysets."""

    def page(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger("That page number is not an integer") from exc
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list.annotate(**{TOTAL: Window(Count("*"))})[bottom : bottom + self.per_page])
        if rows:
            first = rows[0]
            self.__dict__["count"] = first[TOTAL] if isinstance(first, dict) else getattr(first, TOTAL)
            for row in rows:
                if isinstance(row, dict):
                    del row[TOTAL]
        elif number > 1:
            raise EmptyPage("That page contains no results")
        else:
            self.__dict__["count"] = 0  # page 1 is empty: there is nothing at all
        return self._get_page(rows, number, self)


class WindowCountPagination(StandardPagination):
    """StandardPagination with one query per page instead of two (hot lists)."""

    django_paginator_class = WindowCountPaginator
