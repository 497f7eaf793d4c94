/* A QoS 2 subscriber for the soak (tests/soak/soak.py, protocols mqtt2 and mqtt2v5) that
 * can be killed with SIGKILL at any point and started again: Eclipse Paho C (Debian
 * libpaho-mqtt-dev 1.3.12, MQTTClient API), MQTT 3.1.1 or 5, a fixed client id, clean
 * session (3.1.1) or clean start (5) off, and Paho's in-flight state kept in a directory
 * across restarts.
 *
 * Usage: paho_c_qos2_subscriber <uri> <client id> <topic> <dir> <out fd> <file|atomic> [4|5]
 * The last argument is the MQTT version: 4 (3.1.1, the default) or 5; "MQTT 5" below.
 * PAHO_C_QOS2_TRACE_DIR=<dir>: Paho's protocol trace and a log of the store's calls there,
 * one file each per process.
 *
 * Every message is recorded as one line "<n> ..." appended to <out fd>, where <n> is the
 * first 9 characters of the payload (the soak's numbered payloads).
 *
 * How Paho C 1.3.12 takes an inbound QoS 2 message (3.1.1), and what it stores:
 *   PUBLISH  -> stored under "r-<packet id>", PUBREC sent
 *   PUBREL   -> the message is queued for the application and the queue entry stored under
 *               "q-<seqno>"; then "r-<packet id>" is removed and PUBCOMP sent
 *   later    -> messageArrived is called; when it returns 1 "q-<seqno>" is removed
 * On a restart the "r-" entries wait for the broker's PUBREL again and the "q-" entries are
 * delivered again (MQTTClient_create restores both).
 *
 * Two persistence modes:
 *   file    MQTTCLIENT_PERSISTENCE_DEFAULT in <dir>; messageArrived writes the record and
 *           returns 1. Two windows deliver a message twice: a kill after the record but
 *           before "q-" is removed (the queue entry is delivered again), and a kill after
 *           "q-" is stored but before "r-" is removed (the queue entry is delivered, and
 *           the broker's repeated PUBREL finds "r-" and delivers it again). Paho does not
 *           make them atomic; this mode measures how often they are hit.
 *   atomic  a user persistence (MQTTCLIENT_PERSISTENCE_USER) in <dir>, one file per key,
 *           written to a temporary name and renamed, that closes both windows:
 *           - the record is written by the removal of "q-<seqno>" (messageArrived only
 *             notes the number): one write() of "<n> q-<seqno>", then the unlink; on the
 *             next start, "q-" files named by a record written since the last start are
 *             removed before Paho restores them, so a recorded entry is never delivered
 *             again and an unrecorded one always is.
 *           - storing "q-<seqno>" is held until Paho removes "r-<packet id>" (the next
 *             calls on the same thread: MQTTPersistence_remove removes "r5-<packet id>",
 *             absent under 3.1.1, then "r-<packet id>"), and then written as one file
 *             that names the "r-" entry it replaces (its key and the token written in
 *             it, so a later "r-" entry under the same packet id is not taken for it);
 *             on the next start, an "r-" entry named by a "q-" file is removed. So
 *             "q- stored, r- still there" cannot be seen after a kill.
 *           Lines starting with "#" in the record are notes of that start-up repair.
 *           A queue seqno used twice in one process's life (Paho wraps it at 1,000,000)
 *           could be taken for an earlier recorded one; the soak's lives are shorter.
 *           This relies on the call order above (Paho C 1.3.12's MQTTProtocol_handlePubrels
 *           and MQTTClient_run); a store call out of that order is written at once.
 *
 * MQTT 5. MQTTClient_createWithOptions and MQTTClient_connect5 (MQTTVersion 5, clean start
 * off, Session Expiry Interval 3600 s: a v5 session otherwise ends with the connection;
 * Receive Maximum 100).
 * Paho C 1.3.12 does not report CONNACK's session present flag under v5
 * (MQTTClient_connectURIVersion copies it only for version 4): the subscriber subscribes
 * (MQTTClient_subscribe5, QoS 2, checking the granted reason code) while <dir>/subscribed,
 * written after the first grant, is absent. (Without a Receive Maximum the broker sent a
 * restarted subscriber its whole backlog first, and the SUBACK came seconds later.) Paho C 1.3.12 takes an inbound v5 QoS 2
 * message differently (MQTTPacket_Factory, MQTTProtocol_handlePublishes and
 * MQTTProtocol_handlePubrels, as the store log shows):
 *   PUBLISH  -> stored under "r5-<packet id>" (the whole packet); the message is queued for
 *               the application at once; PUBREC sent. A PUBLISH again under a packet id Paho
 *               holds replaces the entry and is not queued.
 *   PUBREL   -> "r5-<packet id>" and "r-<packet id>" removed, PUBCOMP sent
 *   messageArrived returns 1 -> "q5-<seqno>" removed.
 * The queue entry is never stored: MQTTPersistence_persistQueueEntry puts it only when
 * MQTTProperties_write returned 0, and that returns the length it wrote (at least 1), so
 * the store sees the removal of "q5-<seqno>" but no put. A restart restores "r5-" entries
 * as received and already handed over (no payload kept): the broker's PUBREL removes them,
 * a PUBLISH again is not delivered. With Paho's own store a message is lost when a kill
 * lands after its "r5-" entry is stored and before messageArrived has recorded it.
 * MQTTClient_run calls messageArrived once per packet read, so in practice a message is
 * handed over in the iteration that read its PUBLISH, before its PUBREL is read.
 * The atomic store under MQTT 5 (the 3.1.1 hold and checkpoint are not used):
 *   - "r5-<id>" is written (temporary name, rename) with a token; Paho's put of an
 *     "r5-<id>" that exists (a PUBLISH again) leaves it as it is.
 *   - the removal of "q5-<seqno>" writes the record "<n> q5-<seqno> r5-<id> <token>" in one
 *     write(): the message's "r5-" entry is found by packet id among those stored in this
 *     life, in order (Paho's queue is first in, first out).
 *   - a PUBREL for an "r5-" entry not yet recorded renames it "x5-<id>.<token>", a name
 *     Paho does not restore (the packet id is free for the broker again); the record
 *     unlinks it.
 *   - on the next start, before Paho restores anything, every "r5-" and "x5-" entry whose
 *     token no record names is recorded from the PUBLISH it holds ("<n> start r5-<id>
 *     <token>"); "x5-" entries then go, "r5-" entries stay for Paho (it waits for their
 *     PUBREL). So an entry is recorded exactly once, by messageArrived or at a start,
 *     and "stored, not recorded, not delivered again" cannot be seen after a kill.
 *   A put of a "q5-" entry (a Paho that stores them) ends the process with status 3: this
 *   store would then deliver such a message twice.
 * Exit status 2 when the connection is lost (the soak kills the process instead). */
#include <MQTTClient.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int out_fd = -1;
static char store_dir[4096];
static long pending_number = -1; /* noted by messageArrived, recorded by the "q-" removal */
static int pending_id = 0;       /* its packet id */
static char pending_key[64];     /* a "q-" entry held until the "r-" removal */
static char* pending_value = NULL;
static int pending_length = 0;
static long entries_written = 0;

static int ops_fd = -1; /* PAHO_C_QOS2_TRACE_DIR: every store call, one line each */
static void op(const char* what, const char* key, const char* extra) {
  if (ops_fd < 0) return;
  char line[300];
  int n = snprintf(line, sizeof(line), "%s %s %s\n", what, key, extra ? extra : "");
  if (write(ops_fd, line, (size_t)n) < 0) return;
}

static void die(const char* what) {
  fprintf(stderr, "paho_c_qos2_subscriber: %s: %s\n", what, strerror(errno));
  _exit(1);
}

static int starts_with(const char* s, const char* prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void path_of(char* path, size_t size, const char* key) {
  snprintf(path, size, "%s/%s", store_dir, key);
}

static void write_all(int fd, const char* data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    data += n;
    length -= (size_t)n;
  }
}

/* A key's file: a 4-byte header length, the header (the "r-" key this entry replaces, or
 * nothing), then the value. Written to a temporary name and renamed. */
static void write_entry(const char* key, const char* header, const char* value, int length) {
  char path[4400], temp[4500];
  path_of(path, sizeof(path), key);
  snprintf(temp, sizeof(temp), "%s.tmp", path);
  int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) die("open entry");
  unsigned int header_length = (unsigned int)strlen(header);
  write_all(fd, (const char*)&header_length, sizeof(header_length));
  write_all(fd, header, header_length);
  write_all(fd, value, (size_t)length);
  close(fd);
  if (rename(temp, path) != 0) die("rename entry");
}

/* Reads a key's file; the header into `header` (may be NULL), the value malloc'd. */
static int read_entry(const char* key, char* header, size_t header_size, char** value,
                      int* length) {
  char path[4400];
  path_of(path, sizeof(path), key);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < 4) {
    close(fd);
    return -1;
  }
  char* data = (char*)malloc((size_t)st.st_size);
  if (read(fd, data, (size_t)st.st_size) != st.st_size) die("read entry");
  close(fd);
  unsigned int header_length;
  memcpy(&header_length, data, sizeof(header_length));
  if (header) snprintf(header, header_size, "%.*s", (int)header_length, data + 4);
  if (value) {
    *length = (int)(st.st_size - 4 - header_length);
    *value = (char*)malloc(*length > 0 ? (size_t)*length : 1);
    memcpy(*value, data + 4 + header_length, (size_t)*length);
  }
  free(data);
  return 0;
}

static void flush_pending(const char* replaces) {
  if (!pending_value) return;
  op("flush", pending_key, replaces);
  write_entry(pending_key, replaces, pending_value, pending_length);
  free(pending_value);
  pending_value = NULL;
}

/* The start-up repair described at the top, before Paho restores anything. */
static void repair(void) {
  DIR* dir = opendir(store_dir);
  if (!dir) die("opendir");
  struct dirent* entry;
  while ((entry = readdir(dir)) != NULL) {
    const char* name = entry->d_name;
    if (strstr(name, ".tmp")) {
      char path[4400];
      path_of(path, sizeof(path), name);
      unlink(path); /* a write killed before its rename */
    } else if (starts_with(name, "q-")) {
      /* "r-<packet id> <token>": that entry, unless the packet id was used again since */
      char replaces[128] = "", key[64], token[64], current[64] = "";
      if (read_entry(name, replaces, sizeof(replaces), NULL, NULL) == 0 &&
          sscanf(replaces, "%63s %63s", key, token) == 2 &&
          read_entry(key, current, sizeof(current), NULL, NULL) == 0 &&
          strcmp(current, token) == 0) {
        char path[4400], note[200];
        path_of(path, sizeof(path), key);
        unlink(path);
        int n = snprintf(note, sizeof(note), "# start: %s replaced %s\n", name, key);
        write_all(out_fd, note, (size_t)n);
      }
    }
  }
  closedir(dir);

  /* Records written since the last start: "<n> q-<seqno>" lines after the checkpoint. */
  char checkpoint_path[4400], proc[64];
  path_of(checkpoint_path, sizeof(checkpoint_path), "checkpoint");
  long long from = 0;
  FILE* checkpoint = fopen(checkpoint_path, "r");
  if (checkpoint) {
    if (fscanf(checkpoint, "%lld", &from) != 1) from = 0;
    fclose(checkpoint);
  }
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", out_fd);
  FILE* records = fopen(proc, "r");
  if (!records) die("open records");
  if (fseeko(records, (off_t)from, SEEK_SET) != 0) die("seek records");
  char line[256];
  while (fgets(line, sizeof(line), records)) {
    char key[64];
    long n;
    if (sscanf(line, "%ld %63s", &n, key) == 2 && starts_with(key, "q-")) {
      char path[4400];
      path_of(path, sizeof(path), key);
      if (unlink(path) == 0) {
        char note[200];
        int length = snprintf(note, sizeof(note), "# start: %s was recorded (%ld)\n", key, n);
        write_all(out_fd, note, (size_t)length);
      }
    }
  }
  long long end = (long long)ftello(records);
  fclose(records);
  char note[100];
  int note_length = snprintf(note, sizeof(note), "# start: pid %ld\n", (long)getpid());
  write_all(out_fd, note, (size_t)note_length);
  char temp[4500];
  snprintf(temp, sizeof(temp), "%s.tmp", checkpoint_path);
  checkpoint = fopen(temp, "w");
  if (!checkpoint) die("write checkpoint");
  fprintf(checkpoint, "%lld\n", end);
  fclose(checkpoint);
  if (rename(temp, checkpoint_path) != 0) die("rename checkpoint");
}

/* ---- MQTT 5 (see the top): the atomic store's "r5-" entries ---- */
static int v5 = 0;
static char r5_token[65536][24];         /* the token in the file "r5-<id>", "" when none */
static unsigned char r5_recorded[65536]; /* that entry's message is recorded */
struct arrival {
  int id;
  char token[24];
};
/* "r5-" entries stored in this life, in the order Paho queues their messages for
 * messageArrived (one in-memory queue, first in first out). */
static struct arrival* arrivals = NULL;
static size_t arrivals_head = 0, arrivals_end = 0, arrivals_capacity = 0;

static void new_token(char* token, size_t size) {
  snprintf(token, size, "%d.%u", (int)getpid(), (unsigned)++entries_written);
}

static int packet_id_of(const char* key) { /* "r5-<id>", "x5-<id>.<token>" */
  int id = atoi(strchr(key, '-') + 1);
  return id > 0 && id < 65536 ? id : 0;
}

static long decode_length(const char* data, int length, int* at) { /* a variable byte integer */
  long value = 0;
  for (int shift = 0; *at < length && shift < 28; shift += 7) {
    unsigned char byte = (unsigned char)data[(*at)++];
    value |= (long)(byte & 127) << shift;
    if (!(byte & 128)) break;
  }
  return value;
}

/* The soak's number in a stored v5 QoS 2 PUBLISH (MQTTPacket_Factory stores the fixed header
 * and the rest of the packet: topic, packet id, properties, payload), or -1. */
static long publish_number(const char* packet, int length) {
  int at = 1;
  decode_length(packet, length, &at); /* remaining length */
  if (at + 2 > length) return -1;
  at += 2 + (((unsigned char)packet[at] << 8) | (unsigned char)packet[at + 1]) + 2;
  if (at > length) return -1;
  at += (int)decode_length(packet, length, &at); /* the properties */
  if (at > length) return -1;
  char digits[10];
  int n = length - at < 9 ? length - at : 9;
  memcpy(digits, packet + at, (size_t)n);
  digits[n] = '\0';
  return strtol(digits, NULL, 10);
}

static int compare_tokens(const void* a, const void* b) {
  return strcmp(*(const char* const*)a, *(const char* const*)b);
}

/* The v5 start-up repair: every "r5-" entry (Paho restores it as received and delivered)
 * and every released "x5-" entry whose token no record names is recorded now, from the
 * PUBLISH it holds; "x5-" entries then go. */
static void v5_repair(void) {
  size_t count = 0, capacity = 64;
  char** names = (char**)malloc(sizeof(char*) * capacity);
  char** tokens = (char**)malloc(sizeof(char*) * capacity);
  DIR* dir = opendir(store_dir);
  if (!dir) die("opendir");
  struct dirent* entry;
  while ((entry = readdir(dir)) != NULL) {
    const char* name = entry->d_name;
    char path[4400], token[64] = "";
    path_of(path, sizeof(path), name);
    if (strstr(name, ".tmp")) {
      unlink(path); /* a write killed before its rename */
      continue;
    }
    if (!starts_with(name, "r5-") && !starts_with(name, "x5-")) continue;
    if (read_entry(name, token, sizeof(token), NULL, NULL) != 0 || !token[0]) continue;
    if (count == capacity) {
      capacity *= 2;
      names = (char**)realloc(names, sizeof(char*) * capacity);
      tokens = (char**)realloc(tokens, sizeof(char*) * capacity);
    }
    names[count] = strdup(name);
    tokens[count] = strdup(token);
    count++;
    if (starts_with(name, "r5-") && strlen(token) < sizeof(r5_token[0]))
      memcpy(r5_token[packet_id_of(name)], token, strlen(token) + 1);
  }
  closedir(dir);

  /* Which of them a record names: "<n> <q5- key or start> r5-<id> <token>" lines. */
  char** sorted = (char**)malloc(sizeof(char*) * (count ? count : 1));
  memcpy(sorted, tokens, sizeof(char*) * count);
  qsort(sorted, count, sizeof(char*), compare_tokens);
  unsigned char* recorded = (unsigned char*)calloc(count ? count : 1, 1);
  char proc[64], line[256];
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", out_fd);
  FILE* records = fopen(proc, "r");
  if (!records) die("open records");
  while (fgets(line, sizeof(line), records)) {
    long n;
    char what[64], key[64], token[64];
    char* wanted = token;
    if (line[0] == '#' || sscanf(line, "%ld %63s %63s %63s", &n, what, key, token) != 4) continue;
    char** found = (char**)bsearch(&wanted, sorted, count, sizeof(char*), compare_tokens);
    if (!found) continue;
    for (size_t i = 0; i < count; i++)
      if (tokens[i] == *found) recorded[i] = 1;
  }
  fclose(records);

  for (size_t i = 0; i < count; i++) {
    int id = packet_id_of(names[i]);
    char note[200];
    if (!recorded[i]) {
      char* packet;
      int length;
      long n = -1;
      if (read_entry(names[i], NULL, 0, &packet, &length) == 0) {
        n = publish_number(packet, length);
        free(packet);
      }
      int note_length = snprintf(note, sizeof(note), "%ld start r5-%d %s\n", n, id, tokens[i]);
      write_all(out_fd, note, (size_t)note_length); /* recorded */
      note_length = snprintf(note, sizeof(note), "# start: %s was not recorded (%ld)\n",
                             names[i], n);
      write_all(out_fd, note, (size_t)note_length);
    }
    if (starts_with(names[i], "r5-")) {
      r5_recorded[id] = 1;
    } else {
      char path[4400];
      path_of(path, sizeof(path), names[i]);
      unlink(path);
    }
    free(names[i]);
    free(tokens[i]);
  }
  free(names);
  free(tokens);
  free(sorted);
  free(recorded);
  char note[100];
  int note_length = snprintf(note, sizeof(note), "# start: pid %ld\n", (long)getpid());
  write_all(out_fd, note, (size_t)note_length);
}

static int v5_put(const char* key, const char* value, int length) {
  if (starts_with(key, "q5-")) {
    fprintf(stderr, "paho_c_qos2_subscriber: Paho stored %s: this store is written for Paho C "
                    "1.3.12, which does not store v5 queue entries (see the top)\n", key);
    _exit(3);
  }
  char token[24];
  if (!starts_with(key, "r5-")) {
    new_token(token, sizeof(token));
    write_entry(key, token, value, length);
    return 0;
  }
  int id = packet_id_of(key);
  if (r5_token[id][0]) {
    /* A PUBLISH again under a packet id Paho still holds: the same message, which Paho does
     * not deliver again; the entry stays as it was (its token names its record). */
    op("keep", key, r5_token[id]);
    return 0;
  }
  new_token(token, sizeof(token));
  write_entry(key, token, value, length);
  snprintf(r5_token[id], sizeof(r5_token[id]), "%s", token);
  r5_recorded[id] = 0;
  if (arrivals_end == arrivals_capacity) {
    if (arrivals_head > 0) { /* reuse the space of the delivered ones */
      memmove(arrivals, arrivals + arrivals_head,
              sizeof(struct arrival) * (arrivals_end - arrivals_head));
      arrivals_end -= arrivals_head;
      arrivals_head = 0;
    }
    if (arrivals_end == arrivals_capacity) {
      arrivals_capacity = arrivals_capacity ? arrivals_capacity * 2 : 1024;
      arrivals =
          (struct arrival*)realloc(arrivals, sizeof(struct arrival) * arrivals_capacity);
    }
  }
  arrivals[arrivals_end].id = id;
  snprintf(arrivals[arrivals_end].token, sizeof(arrivals[arrivals_end].token), "%s", token);
  arrivals_end++;
  return 0;
}

static void v5_record(const char* q5_key) {
  size_t i = arrivals_head;
  while (i < arrivals_end && arrivals[i].id != pending_id) i++; /* the head, in order */
  char line[160];
  int n;
  if (i == arrivals_end) { /* not a QoS 2 message */
    n = snprintf(line, sizeof(line), "%ld %s - -\n", pending_number, q5_key);
    write_all(out_fd, line, (size_t)n);
    pending_number = -1;
    return;
  }
  struct arrival arrival = arrivals[i];
  n = snprintf(line, sizeof(line), "%ld %s r5-%d %s\n", pending_number, q5_key, arrival.id,
               arrival.token);
  write_all(out_fd, line, (size_t)n); /* recorded: from here on, this entry is done */
  pending_number = -1;
  if (strcmp(r5_token[arrival.id], arrival.token) == 0) {
    r5_recorded[arrival.id] = 1; /* removed when the broker's PUBREL comes */
  } else {
    char released[64], path[4400];
    snprintf(released, sizeof(released), "x5-%d.%s", arrival.id, arrival.token);
    path_of(path, sizeof(path), released);
    unlink(path);
  }
  if (i == arrivals_head) {
    arrivals_head++;
  } else {
    memmove(arrivals + i, arrivals + i + 1, sizeof(struct arrival) * (arrivals_end - i - 1));
    arrivals_end--;
  }
}

static int v5_remove(const char* key) {
  char path[4400];
  path_of(path, sizeof(path), key);
  if (starts_with(key, "r5-")) { /* the broker's PUBREL */
    int id = packet_id_of(key);
    if (!r5_token[id][0]) return 0;
    if (r5_recorded[id]) {
      unlink(path);
    } else { /* released, not yet recorded: kept under a name Paho does not restore */
      char released[64], released_path[4400];
      snprintf(released, sizeof(released), "x5-%d.%s", id, r5_token[id]);
      path_of(released_path, sizeof(released_path), released);
      op("release", key, released);
      if (rename(path, released_path) != 0) die("rename released");
    }
    r5_token[id][0] = '\0';
    r5_recorded[id] = 0;
    return 0;
  }
  if (starts_with(key, "q5-")) { /* messageArrived returned 1; Paho never stored the entry */
    if (pending_number >= 0) v5_record(key);
    return 0;
  }
  if (unlink(path) != 0 && errno != ENOENT) return MQTTCLIENT_PERSISTENCE_ERROR;
  return 0;
}

static int store_open(void** handle, const char* client_id, const char* server_uri, void* context) {
  (void)client_id;
  (void)server_uri;
  (void)context;
  if (mkdir(store_dir, 0700) != 0 && errno != EEXIST) die("mkdir");
  if (v5)
    v5_repair();
  else
    repair();
  *handle = store_dir;
  return 0;
}

static int store_close(void* handle) {
  (void)handle;
  flush_pending("");
  return 0;
}

static int store_put(void* handle, char* key, int count, char* buffers[], int lengths[]) {
  (void)handle;
  op("put", key, pending_value ? pending_key : NULL);
  flush_pending("");
  int total = 0;
  for (int i = 0; i < count; i++) total += lengths[i];
  char* value = (char*)malloc(total > 0 ? (size_t)total : 1);
  int at = 0;
  for (int i = 0; i < count; i++) {
    memcpy(value + at, buffers[i], (size_t)lengths[i]);
    at += lengths[i];
  }
  if (v5) {
    int rc = v5_put(key, value, total);
    free(value);
    return rc;
  }
  if (starts_with(key, "q-")) {
    /* Held until the "r-" removal that follows it in MQTTProtocol_handlePubrels. */
    snprintf(pending_key, sizeof(pending_key), "%s", key);
    pending_value = value;
    pending_length = total;
    return 0;
  }
  char token[64]; /* tells this entry from an earlier one under the same key */
  snprintf(token, sizeof(token), "%ld.%ld", (long)getpid(), ++entries_written);
  write_entry(key, token, value, total);
  free(value);
  return 0;
}

static int store_get(void* handle, char* key, char** buffer, int* length) {
  (void)handle;
  op("get", key, NULL);
  if (pending_value && strcmp(key, pending_key) == 0) {
    *buffer = (char*)malloc(pending_length > 0 ? (size_t)pending_length : 1);
    memcpy(*buffer, pending_value, (size_t)pending_length);
    *length = pending_length;
    return 0;
  }
  return read_entry(key, NULL, 0, buffer, length) == 0 ? 0 : MQTTCLIENT_PERSISTENCE_ERROR;
}

static int store_remove(void* handle, char* key) {
  (void)handle;
  op("remove", key, pending_value ? pending_key : NULL);
  if (v5) return v5_remove(key);
  char path[4400];
  path_of(path, sizeof(path), key);
  int received_key = starts_with(key, "r-") || starts_with(key, "r5-");
  if (received_key && pending_value && access(path, F_OK) != 0) {
    /* MQTTPersistence_remove removes "r5-<id>" and then "r-<id>" whatever the version:
     * the one that is not there does not end the hold. */
  } else if (received_key && pending_value) {
    /* One rename makes the queue entry and drops the "r-" entry: the queue entry names it
     * with its token, so a later "r-" entry under the same packet id is not taken for it. */
    char token[64] = "", replaces[160];
    read_entry(key, token, sizeof(token), NULL, NULL);
    snprintf(replaces, sizeof(replaces), "%s %s", key, token);
    flush_pending(replaces);
  } else {
    flush_pending("");
  }
  if (starts_with(key, "q-") && pending_number >= 0) {
    char line[96];
    int n = snprintf(line, sizeof(line), "%ld %s id %d\n", pending_number, key, pending_id);
    write_all(out_fd, line, (size_t)n); /* recorded: from here on, this entry is done */
    pending_number = -1;
  }
  if (unlink(path) != 0 && errno != ENOENT) return MQTTCLIENT_PERSISTENCE_ERROR;
  return 0;
}

static int store_keys(void* handle, char*** keys, int* count) {
  (void)handle;
  int capacity = 16, n = 0;
  char** list = (char**)malloc(sizeof(char*) * (size_t)capacity);
  DIR* dir = opendir(store_dir);
  if (!dir) die("opendir");
  struct dirent* entry;
  while ((entry = readdir(dir)) != NULL) {
    const char* name = entry->d_name;
    if (name[0] == '.' || strstr(name, ".tmp") || strcmp(name, "checkpoint") == 0 ||
        strcmp(name, "subscribed") == 0 || starts_with(name, "x5-"))
      continue;
    if (n + 2 > capacity) {
      capacity *= 2;
      list = (char**)realloc(list, sizeof(char*) * (size_t)capacity);
    }
    list[n++] = strdup(name);
  }
  closedir(dir);
  if (pending_value) list[n++] = strdup(pending_key);
  if (n == 0) {
    free(list);
    list = NULL;
  }
  *keys = list;
  *count = n;
  return 0;
}

static int store_clear(void* handle) {
  char** keys;
  int count;
  store_keys(handle, &keys, &count);
  for (int i = 0; i < count; i++) {
    char path[4400];
    path_of(path, sizeof(path), keys[i]);
    unlink(path);
    free(keys[i]);
  }
  free(keys);
  free(pending_value);
  pending_value = NULL;
  memset(r5_token, 0, sizeof(r5_token));
  memset(r5_recorded, 0, sizeof(r5_recorded));
  arrivals_head = arrivals_end = 0;
  return 0;
}

static int store_contains(void* handle, char* key) {
  (void)handle;
  if (pending_value && strcmp(key, pending_key) == 0) return 0;
  char path[4400];
  path_of(path, sizeof(path), key);
  return access(path, F_OK) == 0 ? 0 : -1;
}

static int atomic_mode = 0;

static long payload_number(const MQTTClient_message* message) {
  char digits[10];
  int n = message->payloadlen < 9 ? message->payloadlen : 9;
  memcpy(digits, message->payload, (size_t)n);
  digits[n] = '\0';
  return strtol(digits, NULL, 10);
}

static int on_message(void* context, char* topic, int topic_length, MQTTClient_message* message) {
  (void)context;
  (void)topic_length;
  long n = payload_number(message);
  if (atomic_mode) {
    pending_number = n; /* recorded by the removal of this message's queue entry */
    pending_id = message->msgid;
  } else {
    char line[32];
    int length = snprintf(line, sizeof(line), "%ld\n", n);
    write_all(out_fd, line, (size_t)length);
  }
  MQTTClient_freeMessage(&message);
  MQTTClient_free(topic);
  return 1;
}

static void on_connection_lost(void* context, char* cause) {
  (void)context;
  fprintf(stderr, "paho_c_qos2_subscriber: connection lost: %s\n", cause ? cause : "?");
  _exit(2);
}

/* MQTT 5: clean start off and a Session Expiry Interval, else the session ends with the
 * connection. Paho C 1.3.12's MQTTClient_connect5 does not report the CONNACK's session
 * present flag (MQTTClient_connectURIVersion copies it only when the version is 4), so the
 * subscriber notes in <dir>/subscribed that the broker granted its subscription, and
 * subscribes only when that note is absent (the reason for not subscribing again is the
 * one given for 3.1.1 below). */
static int run_v5(MQTTClient client, const char* topic) {
  MQTTClient_connectOptions options = MQTTClient_connectOptions_initializer5;
  options.keepAliveInterval = 30;
  options.cleanstart = 0;
  options.maxInflightMessages = 100;
  MQTTProperties properties = MQTTProperties_initializer;
  MQTTProperty expiry;
  memset(&expiry, 0, sizeof(expiry));
  expiry.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
  expiry.value.integer4 = 3600;
  /* At most 100 unacknowledged QoS 1 and 2 PUBLISHes from the broker: without it the
   * broker sends the whole backlog, and the SUBACK waits behind it (see main). */
  MQTTProperty receive_maximum;
  memset(&receive_maximum, 0, sizeof(receive_maximum));
  receive_maximum.identifier = MQTTPROPERTY_CODE_RECEIVE_MAXIMUM;
  receive_maximum.value.integer2 = 100;
  if (MQTTProperties_add(&properties, &expiry) != 0 ||
      MQTTProperties_add(&properties, &receive_maximum) != 0) {
    fprintf(stderr, "MQTTProperties_add failed\n");
    return 1;
  }
  MQTTResponse response = MQTTClient_connect5(client, &options, &properties, NULL);
  MQTTProperties_free(&properties);
  if (response.reasonCode != MQTTREASONCODE_SUCCESS) {
    fprintf(stderr, "MQTTClient_connect5: %d\n", (int)response.reasonCode);
    return 1;
  }
  if (response.properties &&
      MQTTProperties_hasProperty(response.properties, MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL) &&
      MQTTProperties_getNumericValue(response.properties,
                                     MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL) == 0) {
    fprintf(stderr, "MQTTClient_connect5: the broker set the Session Expiry Interval to 0\n");
    return 1;
  }
  MQTTResponse_free(response);
  char marker[4400];
  path_of(marker, sizeof(marker), "subscribed");
  if (access(marker, F_OK) != 0) {
    MQTTSubscribe_options subscribe_options = MQTTSubscribe_options_initializer;
    response = MQTTClient_subscribe5(client, topic, 2, &subscribe_options, NULL);
    if (response.reasonCode != MQTTREASONCODE_GRANTED_QOS_2) {
      fprintf(stderr, "MQTTClient_subscribe5: reason code %d\n", (int)response.reasonCode);
      return 1;
    }
    MQTTResponse_free(response);
    int fd = open(marker, O_WRONLY | O_CREAT, 0600);
    if (fd < 0) die("write subscribed");
    close(fd);
  }
  for (;;) pause(); /* the soak ends this process with SIGKILL */
}

int main(int argc, char** argv) {
  if (argc != 7 && argc != 8) {
    fprintf(stderr, "usage: %s <uri> <client id> <topic> <dir> <out fd> <file|atomic> [4|5]\n",
            argv[0]);
    return 1;
  }
  const char* uri = argv[1];
  const char* client_id = argv[2];
  const char* topic = argv[3];
  snprintf(store_dir, sizeof(store_dir), "%s", argv[4]);
  out_fd = atoi(argv[5]);
  atomic_mode = strcmp(argv[6], "atomic") == 0;
  if (!atomic_mode && strcmp(argv[6], "file") != 0) {
    fprintf(stderr, "mode must be file or atomic\n");
    return 1;
  }
  if (argc == 8 && strcmp(argv[7], "5") != 0 && strcmp(argv[7], "4") != 0) {
    fprintf(stderr, "the MQTT version must be 4 (3.1.1) or 5\n");
    return 1;
  }
  v5 = argc == 8 && strcmp(argv[7], "5") == 0;

  const char* trace_dir = getenv("PAHO_C_QOS2_TRACE_DIR");
  if (trace_dir) { /* Paho's protocol trace, one file per process */
    char trace[4400];
    snprintf(trace, sizeof(trace), "%s/trace-%ld.log", trace_dir, (long)getpid());
    setenv("MQTT_C_CLIENT_TRACE", trace, 1);
    setenv("MQTT_C_CLIENT_TRACE_LEVEL", "PROTOCOL", 1);
    setenv("MQTT_C_CLIENT_TRACE_MAX_LINES", "10000000", 1);
    snprintf(trace, sizeof(trace), "%s/store-%ld.log", trace_dir, (long)getpid());
    ops_fd = open(trace, O_WRONLY | O_CREAT | O_APPEND, 0600);
  }
  MQTTClient client;
  MQTTClient_persistence store;
  memset(&store, 0, sizeof(store));
  store.context = store_dir; /* Paho refuses a user persistence without a context */
  store.popen = store_open;
  store.pclose = store_close;
  store.pput = store_put;
  store.pget = store_get;
  store.premove = store_remove;
  store.pkeys = store_keys;
  store.pclear = store_clear;
  store.pcontainskey = store_contains;
  /* The version is the client's from here: Paho restores "r5-" entries only into a v5 client. */
  MQTTClient_createOptions create_options = MQTTClient_createOptions_initializer;
  create_options.MQTTVersion = v5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  int rc = atomic_mode ? MQTTClient_createWithOptions(&client, uri, client_id,
                                                      MQTTCLIENT_PERSISTENCE_USER, &store,
                                                      &create_options)
                       : MQTTClient_createWithOptions(&client, uri, client_id,
                                                      MQTTCLIENT_PERSISTENCE_DEFAULT, store_dir,
                                                      &create_options);
  if (rc != MQTTCLIENT_SUCCESS) {
    fprintf(stderr, "MQTTClient_create: %d\n", rc);
    return 1;
  }
  rc = MQTTClient_setCallbacks(client, NULL, on_connection_lost, on_message, NULL);
  if (rc != MQTTCLIENT_SUCCESS) {
    fprintf(stderr, "MQTTClient_setCallbacks: %d\n", rc);
    return 1;
  }
  if (v5) return run_v5(client, topic);
  MQTTClient_connectOptions options = MQTTClient_connectOptions_initializer;
  options.keepAliveInterval = 30;
  options.cleansession = 0;
  options.MQTTVersion = MQTTVERSION_3_1_1;
  options.maxInflightMessages = 100;
  rc = MQTTClient_connect(client, &options);
  if (rc != MQTTCLIENT_SUCCESS) {
    fprintf(stderr, "MQTTClient_connect: %d\n", rc);
    return 1;
  }
  /* A resumed session keeps its subscription; subscribing again would wait for a SUBACK
   * that the broker queues behind the session's backlog (MQTTClient_subscribe gives up
   * after 10 s and disconnects). */
  if (!options.returned.sessionPresent) rc = MQTTClient_subscribe(client, topic, 2);
  if (rc != MQTTCLIENT_SUCCESS) {
    fprintf(stderr, "MQTTClient_subscribe: %d\n", rc);
    return 1;
  }
  for (;;) pause(); /* the soak ends this process with SIGKILL */
}
