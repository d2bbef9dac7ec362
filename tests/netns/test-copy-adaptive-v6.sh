#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The adaptive copy policy end to end over a tunnel with IPv6 addresses
# only: test-copy-adaptive.sh's sites, links and checks, with tun0
# addressed fd00:66:6::66 (cl) and fd00:66:6::1 (pri). The public
# addresses, path A and path B stay IPv4.
TUNNEL_FAMILY=6
source "$(dirname "$0")/test-copy-adaptive.sh"
