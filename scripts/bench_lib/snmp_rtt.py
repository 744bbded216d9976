"""GET round trips against the SNMP agent: p50/p99 over N requests, one at a time.

Usage: snmp_rtt.py HOST PORT [N]. The request (a v2c GET of sysUpTime.0, community public) is
built by hand: it is fixed test data; the agent's own BER comes from rasn.
"""
import socket
import sys
import time


def request(req_id):
    oid = bytes([0x06, 0x08, 0x2B, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00])
    varbind = bytes([0x30, len(oid) + 2]) + oid + bytes([0x05, 0x00])
    vbl = bytes([0x30, len(varbind)]) + varbind
    rid = req_id.to_bytes(4, "big")
    pdu = bytes([0x02, 0x04]) + rid + bytes([0x02, 0x01, 0x00, 0x02, 0x01, 0x00]) + vbl
    get = bytes([0xA0, len(pdu)]) + pdu
    body = bytes([0x02, 0x01, 0x01, 0x04, 0x06]) + b"public" + get
    return bytes([0x30, len(body)]) + body


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    s.connect((host, port))
    times = []
    lost = 0
    for i in range(n):
        msg = request(0x10000000 + i)
        t0 = time.perf_counter_ns()
        s.send(msg)
        try:
            s.recv(2048)
        except socket.timeout:
            lost += 1
            continue
        times.append(time.perf_counter_ns() - t0)
    times.sort()
    pct = lambda p: times[min(len(times) - 1, int(len(times) * p))] / 1000.0
    print(f"GET sysUpTime.0: {len(times)} answered, {lost} lost; "
          f"p50 {pct(0.50):.1f} us, p99 {pct(0.99):.1f} us, max {times[-1] / 1000.0:.1f} us")


main()
