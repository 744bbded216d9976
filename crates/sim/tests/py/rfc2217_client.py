"""Drives the simulator's data port with pyserial's own RFC 2217 client.

Usage: rfc2217_client.py HOST PORT
The serial side of the simulator runs an echo (the Rust test does that), so what we write comes
back. Prints one JSON object with what was observed; exits non-zero on any failure.
"""
import json
import logging
import os
import sys
import time

import serial

host, port = sys.argv[1], int(sys.argv[2])
log = []


class Collect(logging.Handler):
    def emit(self, record):
        log.append(record.getMessage())


logging.getLogger("pySerial.rfc2217").addHandler(Collect())
logging.getLogger("pySerial.rfc2217").setLevel(logging.DEBUG)
result = {}
ser = serial.serial_for_url(f"rfc2217://{host}:{port}?logging=debug", baudrate=115200, timeout=3)
try:
    # Every setting is sent and must be acknowledged with the same value, or pyserial raises.
    for baud in (57600, 19200, 115200):
        ser.baudrate = baud
    ser.bytesize = serial.SEVENBITS
    ser.parity = serial.PARITY_EVEN
    ser.stopbits = serial.STOPBITS_TWO
    ser.xonxoff = True
    ser.xonxoff = False
    ser.rtscts = True
    ser.rtscts = False
    ser.bytesize, ser.parity, ser.stopbits = serial.EIGHTBITS, serial.PARITY_NONE, serial.STOPBITS_ONE
    ser.dtr = False
    ser.rts = False
    time.sleep(0.2)
    ser.dtr = True
    ser.rts = True
    # The test set the attached equipment's lines through the control API before we connected.
    result["lines"] = {"cts": ser.cts, "dsr": ser.dsr, "ri": ser.ri, "cd": ser.cd}
    ser.send_break(0.05)
    t = time.time()
    ser.reset_input_buffer()
    ser.reset_output_buffer()
    result["purge_s"] = time.time() - t
    # Data both ways through the serial-side echo, byte-exact, all 256 values.
    data = bytes(range(256)) * 16 + os.urandom(4096)
    ser.write(data)
    back = ser.read(len(data))
    result["echo_ok"] = back == data
    result["echo_len"] = len(back)
    # Pacing follows the baud rate the client set: 960 bytes at 9600 8N1 take 1 s one way.
    ser.baudrate = 9600
    t = time.time()
    ser.write(b"\x55" * 960)
    back = ser.read(960)
    result["paced_s"] = time.time() - t
    result["paced_len"] = len(back)
    # Left low for the test to see through the control API.
    ser.rts = False
    time.sleep(0.2)
    # A line change while connected is pushed to us (NOTIFY-MODEMSTATE).
    sys.stdout.write("WAITING\n")
    sys.stdout.flush()
    sys.stdin.readline()
    time.sleep(0.3)
    result["lines_after"] = {"cts": ser.cts, "dsr": ser.dsr, "ri": ser.ri, "cd": ser.cd}
finally:
    ser.close()
result["rejected"] = [m for m in log if "reject" in m.lower()]
print(json.dumps(result))
