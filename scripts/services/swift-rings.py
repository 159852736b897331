#!/usr/bin/python3
"""Build Swift's account/container/object rings in one process.

Does what `swift-ring-builder X.builder create/add/rebalance` does, but the
nine separate CLI invocations cost ~5 s of Python start-up on a cold CI run.

Usage: swift-rings.py SWIFT_ETC DEVICE PART_POWER NAME=PORT [NAME=PORT...]

Each ring gets one device (127.0.0.1:PORT/DEVICE) and one replica. A ring
that already matches is left alone. One that doesn't (e.g. a port changed in
services.sh) is rebuilt: with a single device every partition maps to that
device whatever the ring, so data placement on disk does not change as long
as the part power stays the same (a part power change is refused).
"""
import os
import sys

from swift.common.ring import RingBuilder, RingData

HOST = "127.0.0.1"


def ring_matches(ring_file, device, part_power, port):
    ring = RingData.load(ring_file)
    if 32 - ring._part_shift != part_power:
        sys.exit("%s has part power %d, expected %d; refusing to rebuild it "
                 "(that would move stored data). Remove .data/swift to start over."
                 % (ring_file, 32 - ring._part_shift, part_power))
    devs = [d for d in ring.devs if d]
    return (len(devs) == 1 and devs[0]["ip"] == HOST and devs[0]["port"] == port
            and devs[0]["device"] == device)


def main(argv):
    if len(argv) < 5:
        sys.exit(__doc__)
    etc, device, part_power = argv[1], argv[2], int(argv[3])
    for spec in argv[4:]:
        name, port = spec.split("=", 1)
        port = int(port)
        ring_file = os.path.join(etc, name + ".ring.gz")
        if os.path.exists(ring_file) and ring_matches(ring_file, device, part_power, port):
            continue
        builder = RingBuilder(part_power, 1, 1)  # part power, replicas, min_part_hours
        builder.add_dev({"region": 1, "zone": 1, "ip": HOST, "port": port,
                         "replication_ip": HOST, "replication_port": port,
                         "device": device, "weight": 100.0, "meta": ""})
        builder.rebalance()
        builder.validate()
        builder.save(os.path.join(etc, name + ".builder"))
        # Write the ring last and atomically: its presence means "done".
        builder.get_ring().save(ring_file + ".tmp")
        os.rename(ring_file + ".tmp", ring_file)
        print("built %s" % ring_file)


if __name__ == "__main__":
    main(sys.argv)
