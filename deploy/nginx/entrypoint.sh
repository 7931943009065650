#!/bin/sh
# The nginx image's entry point: fill in ${NGINX_*} in the site template from the environment (only
# those names: nginx's own $variables stay), then run nginx. tests/test_deploy_files.py runs it.
set -eu
template=${TITANOBOVA_NGINX_TEMPLATE:-/etc/nginx/templates/titanobova.conf.template}
output=${TITANOBOVA_NGINX_SITE:-/etc/nginx/conf.d/titanobova.conf}
names=$(env | sed -n 's/^\(NGINX_[A-Z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')
envsubst "$names" < "$template" > "$output"
exec "$@"
