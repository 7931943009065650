"""Path patterns shared by the apps' routers."""

# A UUID as Django's UUIDField accepts it (with or without dashes). Used as `lookup_value_regex`
# so that a malformed id never reaches the database: the URL doesn't match, and the API's JSON
# 404 answers it exactly like an unknown id (a 400 would tell a prober which ids are well formed).
UUID_PATH_REGEX = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
