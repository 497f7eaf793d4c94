"""Real brokers to test against: Debian mosquitto and rabbitmq-server.

Each context manager starts its peer on a free loopback port, waits until it
answers its protocol, yields an object with `host` and `port`, and stops it on
exit. Every wait is bounded. Nothing global is changed: each peer gets its own
temporary directory (config, data, logs), and RabbitMQ its own node name, so
several test processes can run peers side by side.

    with peers.mosquitto() as broker:       # broker.port
    with peers.rabbitmq() as broker:        # broker.port, broker.url
"""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

MOSQUITTO_BIN = os.environ.get("MOSQUITTO_BIN", "/usr/sbin/mosquitto")
RABBITMQ_LIB = "/usr/lib/rabbitmq/bin"


def free_port(host="127.0.0.1"):
    """A TCP port that was free on `host` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _wait_until(predicate, timeout, what, proc=None, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{_tail(log)}")
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout}s:\n{_tail(log)}")


def _tail(path, limit=4000):
    if not path or not os.path.exists(path):
        return ""
    with open(path, "rb") as f:
        return f.read()[-limit:].decode(errors="replace")


def _answers(host, port, greeting, expect_prefix, timeout=1.0):
    """Connects, sends `greeting`, and checks the first bytes of the answer."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(greeting)
            data = b""
            while len(data) < len(expect_prefix):
                chunk = s.recv(64)
                if not chunk:
                    return False
                data += chunk
            return data.startswith(expect_prefix)
    except OSError:
        return False


class Peer:
    def __init__(self, host, port, workdir, log):
        self.host = host
        self.port = port
        self.workdir = workdir
        self.log = log

    def output(self):
        return _tail(self.log, 100000)


# A minimal MQTT 3.1.1 CONNECT (client id "probe", clean session, keep alive 10)
# and the CONNACK "accepted" that a running broker answers with.
_MQTT_PROBE = bytes([0x10, 0x11, 0x00, 0x04]) + b"MQTT" + bytes([0x04, 0x02, 0x00, 0x0A, 0x00,
                                                                 0x05]) + b"probe"
_MQTT_CONNACK_OK = bytes([0x20, 0x02, 0x00, 0x00])


@contextlib.contextmanager
def mosquitto(extra_config="", timeout=10.0):
    """Debian mosquitto on a free 127.0.0.1 port, anonymous access allowed."""
    workdir = tempfile.mkdtemp(prefix="peer-mosquitto-")
    port = free_port()
    conf = os.path.join(workdir, "mosquitto.conf")
    log = os.path.join(workdir, "mosquitto.log")
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true", "persistence false",
             "log_dest stderr", "log_type error", "log_type warning"]
    if os.geteuid() == 0:
        lines.append("user root")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n" + extra_config + "\n")
    with open(log, "wb") as out:
        proc = subprocess.Popen([MOSQUITTO_BIN, "-c", conf], stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until(lambda: _answers("127.0.0.1", port, _MQTT_PROBE, _MQTT_CONNACK_OK), timeout,
                    "mosquitto", proc, log)
        yield Peer("127.0.0.1", port, workdir, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        shutil.rmtree(workdir, ignore_errors=True)


class RabbitPeer(Peer):
    def __init__(self, host, port, workdir, log, nodename):
        super().__init__(host, port, workdir, log)
        self.nodename = nodename
        # No trailing "/": amqp-tools reads "/" as the empty vhost; this is vhost "/".
        self.url = f"amqp://guest:guest@{host}:{port}"

    def ctl(self, *args, timeout=30):
        """Runs rabbitmqctl against this node; returns CompletedProcess."""
        return _as_rabbitmq([f"{RABBITMQ_LIB}/rabbitmqctl", "-n", self.nodename, *args],
                            self._env, timeout=timeout)


def _as_rabbitmq(argv, env, timeout, stdout=subprocess.PIPE):
    """Runs argv as the rabbitmq user (the Erlang cookie and data belong to it)."""
    user = pwd.getpwnam("rabbitmq")

    def demote():
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    preexec = demote if os.geteuid() == 0 else None
    return subprocess.run(argv, env=env, preexec_fn=preexec, stdout=stdout,
                          stderr=subprocess.STDOUT, timeout=timeout, check=False)


@contextlib.contextmanager
def rabbitmq(timeout=60.0, tls=None):
    """Debian rabbitmq-server on a free 127.0.0.1 port with its own node name and data.

    tls: {"cert": PEM, "key": PEM, "ca": PEM} adds a TLS listener (`listeners.ssl`, no client
    certificates asked for) on a free port, the peer's tls_port.

    It takes several seconds to start: use one per test module."""
    workdir = tempfile.mkdtemp(prefix="peer-rabbitmq-")
    user = pwd.getpwnam("rabbitmq")
    os.chown(workdir, user.pw_uid, user.pw_gid)
    port = free_port()
    dist_port = free_port()
    nodename = f"mf{os.getpid()}x{port}@localhost"
    plugins = os.path.join(workdir, "enabled_plugins")
    with open(plugins, "w") as f:
        f.write("[].\n")
    conf = os.path.join(workdir, "rabbitmq.conf")
    owned = [plugins, conf]
    tls_port = None
    with open(conf, "w") as f:
        f.write(f"listeners.tcp.1 = 127.0.0.1:{port}\nloopback_users = none\n")
        if tls:
            tls_port = free_port()
            f.write(f"listeners.ssl.1 = 127.0.0.1:{tls_port}\n"
                    "ssl_options.verify = verify_none\n"
                    "ssl_options.fail_if_no_peer_cert = false\n")
            # Copies the rabbitmq user can read.
            for key in ("ca", "cert", "key"):
                copy = os.path.join(workdir, f"tls-{key}.pem")
                shutil.copyfile(tls[key], copy)
                owned.append(copy)
                option = {"ca": "cacertfile", "cert": "certfile", "key": "keyfile"}[key]
                f.write(f"ssl_options.{option} = {copy}\n")
    for path in owned:
        os.chown(path, user.pw_uid, user.pw_gid)
    log = os.path.join(workdir, "startup.log")
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": user.pw_dir,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "RABBITMQ_NODENAME": nodename,
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "RABBITMQ_CONFIG_FILE": conf,
        "RABBITMQ_ENABLED_PLUGINS_FILE": plugins,
        "RABBITMQ_MNESIA_BASE": os.path.join(workdir, "mnesia"),
        "RABBITMQ_LOG_BASE": os.path.join(workdir, "log"),
        "RABBITMQ_PID_FILE": os.path.join(workdir, "rabbit.pid"),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
    }
    user_demote = None
    if os.geteuid() == 0:
        def user_demote():
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
    with open(log, "wb") as out:
        proc = subprocess.Popen([f"{RABBITMQ_LIB}/rabbitmq-server"], env=env, cwd=workdir,
                                stdout=out, stderr=subprocess.STDOUT, preexec_fn=user_demote,
                                start_new_session=True)
    peer = RabbitPeer("127.0.0.1", port, workdir, log, nodename)
    peer._env = env
    peer.tls_port = tls_port
    try:
        _wait_until(lambda: _answers("127.0.0.1", port, b"AMQP\x00\x00\x09\x01",
                                     b"\x01\x00\x00"), timeout, "rabbitmq-server", proc, log)
        yield peer
    finally:
        try:
            peer.ctl("stop", timeout=30)
        except subprocess.TimeoutExpired:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=5)
        shutil.rmtree(workdir, ignore_errors=True)


# ---- librdkafka's mock cluster (bench/peers/rdkafka_mock_cluster.cpp) -------------------------

def _rdkafka_mock_binary():
    """The rdkafka_mock_cluster executable: $MOCKFORGE_RDKAFKA_MOCK, or the build tree's
    bench/peers target (built whenever tests are)."""
    explicit = os.environ.get("MOCKFORGE_RDKAFKA_MOCK")
    if explicit:
        return explicit
    binary_dir = os.environ.get("MOCKFORGE_BINARY_DIR")
    if not binary_dir:
        raise RuntimeError("set MOCKFORGE_BINARY_DIR (the build tree) or MOCKFORGE_RDKAFKA_MOCK")
    built = os.path.join(binary_dir, "bench", "peers", "rdkafka_mock_cluster")
    if not os.path.exists(built):
        raise RuntimeError(f"{built} is missing: build the rdkafka_mock_cluster target")
    return built


class RdkafkaMockPeer(Peer):
    def __init__(self, bootstrap, workdir, log, proc=None):
        host, _, port = bootstrap.split(",")[0].rpartition(":")
        super().__init__(host, int(port), workdir, log)
        self.bootstrap = bootstrap
        self._proc = proc

    def create_topic(self, name, partitions, replication=1):
        """rd_kafka_mock_topic_create: a topic with this many partitions (the mock's own
        auto-creation uses its default count). Raises RuntimeError with the error name."""
        self._proc.stdin.write(f"topic {name} {partitions} {replication}\n".encode())
        self._proc.stdin.flush()
        answer = self._proc.stdout.readline().decode().strip()
        if answer != "ok":
            raise RuntimeError(f"rd_kafka_mock_topic_create {name}: {answer or 'no answer'}")


@contextlib.contextmanager
def rdkafka_mock(brokers=1, timeout=15.0):
    """librdkafka's in-process mock cluster with `brokers` brokers on loopback ports.

    It auto-creates topics on Produce and Metadata, and lacks CreateTopics, DeleteTopics,
    DescribeConfigs, ListGroups and DescribeGroups. peer.bootstrap is its "host:port,..." list."""
    workdir = tempfile.mkdtemp(prefix="peer-rdkafka-")
    log = os.path.join(workdir, "rdkafka_mock.log")
    binary = _rdkafka_mock_binary()
    with open(log, "wb") as err:
        proc = subprocess.Popen([binary, "--brokers", str(brokers)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=err)
    try:
        bootstrap = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = proc.stdout.readline().decode().strip()
            if not line:
                if proc.poll() is not None:
                    raise RuntimeError(f"rdkafka_mock_cluster exited with {proc.returncode}:\n"
                                       f"{_tail(log)}")
                continue
            if line.startswith("bootstrap "):
                bootstrap = line.split(" ", 1)[1]
            elif line == "ready" and bootstrap:
                break
        else:
            raise TimeoutError(f"rdkafka_mock_cluster not ready after {timeout}s:\n{_tail(log)}")
        yield RdkafkaMockPeer(bootstrap, workdir, log, proc)
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        proc.stdout.close()
        shutil.rmtree(workdir, ignore_errors=True)
