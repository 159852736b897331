#!/usr/bin/python3
"""Run one Swift WSGI server with swift.conf taken from the directory of its
config file (.data/swift/etc) instead of /etc/swift/swift.conf.

Why: Swift 2.30 hard-codes /etc/swift/swift.conf for the hash path
prefix/suffix, storage policies and constraints; `swift_dir` only moves the
rings. The hash values decide where every object lives on disk, so they must
belong to this checkout's data (.data/swift), not to whatever the package or
another project put in /etc/swift.

Usage: swift-server.py {proxy|account|container|object}-server CONF_FILE
Logs go to stderr (the `verbose` flag), which services.sh redirects into
.data/swift/log/<server>.log - there is no syslog on these machines.
"""
import os
import sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
server_type, conf_file = sys.argv[1], os.path.abspath(sys.argv[2])

from swift.common import utils  # noqa: E402

conf_dir = os.path.dirname(conf_file)
if not os.path.isfile(os.path.join(conf_dir, "swift.conf")):
    sys.exit("missing %s" % os.path.join(conf_dir, "swift.conf"))
# Importing swift.common.utils has ALREADY cached the hash prefix/suffix from
# /etc/swift/swift.conf (if present); set_swift_dir() switches SWIFT_CONF_FILE,
# clears that cache and re-reads the hash from our file.
utils.set_swift_dir(conf_dir)
if utils.SWIFT_CONF_FILE != os.path.join(conf_dir, "swift.conf"):
    sys.exit("could not switch swift.conf to %s" % conf_dir)

# These two modules read swift.conf at import time; re-read from our file in
# case they were already imported with the default path.
from swift.common import constraints, storage_policy  # noqa: E402
constraints.reload_constraints()
storage_policy.reload_storage_policies()

from swift.common.wsgi import run_wsgi  # noqa: E402

kwargs = {}
if server_type == "object-server":
    from swift.obj import server as object_server
    kwargs["global_conf_callback"] = object_server.global_conf_callback

sys.exit(run_wsgi(conf_file, server_type, verbose=True, **kwargs))
