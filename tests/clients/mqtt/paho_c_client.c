/* Eclipse Paho C (Debian libpaho-mqtt-dev, MQTTAsync API) against an MQTT
 * broker, for MQTT 3.1.1 (version 4) and 5. Driven by test_paho_c.py.
 *
 * Usage: paho_c_client <uri> <4|5> <scenario> [args...]
 *   roundtrip <prefix>           subscribe <prefix>/+ at QoS 2, publish QoS 0, 1, 2
 *                                from a second client; print "recv <topic> <qos> <payload>"
 *   retained <topic>             publish a retained QoS 1 message, then subscribe from a
 *                                new client; print "recv <topic> <qos> <payload> retained=<0|1>"
 *   connect <user|-> <pass|->    print "connack <code>" (0: accepted)
 *   suback <user> <pass> <filter>...
 *                                one SUBSCRIBE per filter at QoS 1; print "suback <filter> <code>"
 *   puback <user> <pass> <topic> <qos>
 *                                print "puback <code>" (the PUBACK/PUBREC reason code; v5)
 *   will <topic>                 connect with a will on <topic>, print "connected", then
 *                                wait to be killed (an abnormal close)
 *   expect <topic>               subscribe at QoS 1, print "subscribed", then print the
 *                                first message as "recv <topic> <qos> <payload>"
 * Over ssl:// (built against libpaho-mqtt3as) PAHO_C_CAFILE, PAHO_C_CERT and PAHO_C_KEY
 * give the CA and the client certificate and key.
 * Exit 0 unless something failed that the scenario does not report. */
#include <MQTTAsync.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_SECONDS 15

static int version = MQTTVERSION_3_1_1;

/* One outstanding operation per client: a result code set by a callback. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  int done;
  int code;
  int received;
  char messages[16][512];
} State;

static void state_init(State* s) {
  memset(s, 0, sizeof(*s));
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->changed, NULL);
}

static void finish(void* context, int code) {
  State* s = (State*)context;
  pthread_mutex_lock(&s->lock);
  s->done = 1;
  s->code = code;
  pthread_cond_broadcast(&s->changed);
  pthread_mutex_unlock(&s->lock);
}

static void fail(const char* what, int rc) {
  fprintf(stderr, "FAILED: %s (rc %d)\n", what, rc);
  exit(1);
}

/* Waits until *field reaches at least `target`; exits on timeout. */
static void wait_for(State* s, int* field, int target, const char* what) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += TIMEOUT_SECONDS;
  pthread_mutex_lock(&s->lock);
  while (*field < target) {
    if (pthread_cond_timedwait(&s->changed, &s->lock, &deadline) != 0) {
      pthread_mutex_unlock(&s->lock);
      fail(what, -1);
    }
  }
  pthread_mutex_unlock(&s->lock);
}

static int wait_done(State* s, const char* what) {
  wait_for(s, &s->done, 1, what);
  pthread_mutex_lock(&s->lock);
  int code = s->code;
  s->done = 0;
  pthread_mutex_unlock(&s->lock);
  return code;
}

static void on_success(void* context, MQTTAsync_successData* response) {
  /* 3.1.1 SUBACK: the granted QoS (0x80 for a refusal). */
  finish(context, response ? response->alt.qos : 0);
}
static void on_failure(void* context, MQTTAsync_failureData* response) {
  finish(context, response ? (response->code == MQTTASYNC_FAILURE ? 0x80 : response->code) : -1);
}
static void on_success5(void* context, MQTTAsync_successData5* response) {
  finish(context, response ? response->reasonCode : 0);
}
static void on_failure5(void* context, MQTTAsync_failureData5* response) {
  finish(context, response ? response->reasonCode : -1);
}

/* CONNACK: 0 when accepted, else the return code (3.1.1) or reason code (v5). */
static void on_connected(void* context, MQTTAsync_successData* response) {
  (void)response;
  finish(context, 0);
}
static void on_connected5(void* context, MQTTAsync_successData5* response) {
  (void)response;
  finish(context, 0);
}
static void on_connect_failure5(void* context, MQTTAsync_failureData5* response) {
  fprintf(stderr, "connect failure: code %d reason %d\n", response ? response->code : 0,
          response ? response->reasonCode : 0);
  finish(context, response ? (response->reasonCode ? response->reasonCode : response->code) : -1);
}
static void on_connect_failure(void* context, MQTTAsync_failureData* response) {
  finish(context, response ? response->code : -1);
}

static int on_message(void* context, char* topic, int topic_len, MQTTAsync_message* message) {
  State* s = (State*)context;
  pthread_mutex_lock(&s->lock);
  if (s->received < 16) {
    snprintf(s->messages[s->received], sizeof(s->messages[0]),
             "recv %.*s %d %.*s retained=%d dup=%d", topic_len ? topic_len : (int)strlen(topic),
             topic, message->qos, message->payloadlen, (const char*)message->payload,
             message->retained, message->dup);
  }
  s->received++;
  pthread_cond_broadcast(&s->changed);
  pthread_mutex_unlock(&s->lock);
  MQTTAsync_freeMessage(&message);
  MQTTAsync_free(topic);
  return 1;
}

static MQTTAsync create(const char* uri, const char* client_id, State* state) {
  MQTTAsync client;
  MQTTAsync_createOptions options = MQTTAsync_createOptions_initializer;
  options.MQTTVersion = version;
  int rc = MQTTAsync_createWithOptions(&client, uri, client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL,
                                       &options);
  if (rc != MQTTASYNC_SUCCESS) fail("create", rc);
  rc = MQTTAsync_setCallbacks(client, state, NULL, on_message, NULL);
  if (rc != MQTTASYNC_SUCCESS) fail("setCallbacks", rc);
  return client;
}

static void set_handlers(MQTTAsync_responseOptions* options, State* state) {
  options->context = state;
  if (version == MQTTVERSION_5) {
    options->onSuccess5 = on_success5;
    options->onFailure5 = on_failure5;
  } else {
    options->onSuccess = on_success;
    options->onFailure = on_failure;
  }
}

/* Connects; returns the CONNACK code (0 when accepted). */
static int connect_client(MQTTAsync client, State* state, const char* user, const char* password,
                          MQTTAsync_willOptions* will) {
  MQTTAsync_connectOptions options = MQTTAsync_connectOptions_initializer;
  MQTTAsync_connectOptions options5 = MQTTAsync_connectOptions_initializer5;
  MQTTAsync_connectOptions* chosen = version == MQTTVERSION_5 ? &options5 : &options;
  chosen->keepAliveInterval = 30;
  chosen->context = state;
  chosen->MQTTVersion = version;
  if (version == MQTTVERSION_5) {
    chosen->cleanstart = 1;
    chosen->onSuccess5 = on_connected5;
    chosen->onFailure5 = on_connect_failure5;
  } else {
    chosen->cleansession = 1;
    chosen->onSuccess = on_connected;
    chosen->onFailure = on_connect_failure;
  }
  if (user && strcmp(user, "-") != 0) chosen->username = user;
  if (password && strcmp(password, "-") != 0) chosen->password = password;
  chosen->will = will;
  /* ssl:// URIs (the libpaho-mqtt3as build): the CA, and a client certificate and key, from
   * PAHO_C_CAFILE, PAHO_C_CERT and PAHO_C_KEY. */
  MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
  if (getenv("PAHO_C_CAFILE")) {
    ssl.trustStore = getenv("PAHO_C_CAFILE");
    ssl.keyStore = getenv("PAHO_C_CERT");
    ssl.privateKey = getenv("PAHO_C_KEY");
    ssl.enableServerCertAuth = 1;
    ssl.verify = 1;
    chosen->ssl = &ssl;
  }
  int rc = MQTTAsync_connect(client, chosen);
  if (rc != MQTTASYNC_SUCCESS) fail("connect call", rc);
  return wait_done(state, "CONNACK");
}

static int subscribe(MQTTAsync client, State* state, const char* filter, int qos) {
  MQTTAsync_responseOptions options = MQTTAsync_responseOptions_initializer;
  set_handlers(&options, state);
  int rc = MQTTAsync_subscribe(client, filter, qos, &options);
  if (rc != MQTTASYNC_SUCCESS) fail("subscribe call", rc);
  return wait_done(state, "SUBACK");
}

static void on_published(void* context, MQTTAsync_successData* response) {
  (void)response;
  finish(context, 0);
}

static int publish(MQTTAsync client, State* state, const char* topic, const char* payload, int qos,
                   int retained) {
  MQTTAsync_responseOptions options = MQTTAsync_responseOptions_initializer;
  set_handlers(&options, state);
  if (version != MQTTVERSION_5) options.onSuccess = on_published;
  MQTTAsync_message message = MQTTAsync_message_initializer;
  message.payload = (void*)payload;
  message.payloadlen = (int)strlen(payload);
  message.qos = qos;
  message.retained = retained;
  int rc = MQTTAsync_sendMessage(client, topic, &message, &options);
  if (rc != MQTTASYNC_SUCCESS) fail("publish call", rc);
  if (qos == 0) return 0;
  return wait_done(state, "publish acknowledgement");
}

static void disconnect(MQTTAsync client, State* state) {
  MQTTAsync_disconnectOptions options = MQTTAsync_disconnectOptions_initializer;
  MQTTAsync_disconnectOptions options5 = MQTTAsync_disconnectOptions_initializer5;
  MQTTAsync_disconnectOptions* chosen = version == MQTTVERSION_5 ? &options5 : &options;
  chosen->context = state;
  if (version == MQTTVERSION_5) {
    chosen->onSuccess5 = on_success5;
    chosen->onFailure5 = on_failure5;
  } else {
    chosen->onSuccess = on_success;
    chosen->onFailure = on_failure;
  }
  if (MQTTAsync_disconnect(client, chosen) == MQTTASYNC_SUCCESS) wait_done(state, "disconnect");
  MQTTAsync_destroy(&client);
}

static void print_messages(State* s, int count) {
  wait_for(s, &s->received, count, "messages");
  pthread_mutex_lock(&s->lock);
  for (int i = 0; i < count && i < 16; ++i) printf("%s\n", s->messages[i]);
  pthread_mutex_unlock(&s->lock);
  fflush(stdout);
}

static char* client_id(const char* role) {
  static char ids[4][64];
  static int next = 0;
  char* id = ids[next++ % 4];
  snprintf(id, sizeof(ids[0]), "paho-c-%s-%d-%ld", role, version, (long)getpid());
  return id;
}

int main(int argc, char** argv) {
  if (argc < 4) fail("usage: paho_c_client <uri> <4|5> <scenario> [args...]", 2);
  const char* uri = argv[1];
  version = atoi(argv[2]) == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  const char* scenario = argv[3];
  State a, b;
  state_init(&a);
  state_init(&b);

  if (strcmp(scenario, "roundtrip") == 0 && argc == 5) {
    char filter[256];
    snprintf(filter, sizeof(filter), "%s/+", argv[4]);
    MQTTAsync sub = create(uri, client_id("sub"), &a);
    if (connect_client(sub, &a, NULL, NULL, NULL) != 0) fail("subscriber CONNACK", 0);
    int granted = subscribe(sub, &a, filter, 2);
    if (granted != 2) fail("granted QoS", granted);
    MQTTAsync pub = create(uri, client_id("pub"), &b);
    if (connect_client(pub, &b, NULL, NULL, NULL) != 0) fail("publisher CONNACK", 0);
    for (int qos = 0; qos <= 2; ++qos) {
      char topic[256], payload[64];
      snprintf(topic, sizeof(topic), "%s/q%d", argv[4], qos);
      snprintf(payload, sizeof(payload), "payload-%d", qos);
      int code = publish(pub, &b, topic, payload, qos, 0);
      if (code != 0) fail("publish acknowledgement code", code);
      wait_for(&a, &a.received, qos + 1, "message");
    }
    print_messages(&a, 3);
    disconnect(pub, &b);
    disconnect(sub, &a);
  } else if (strcmp(scenario, "retained") == 0 && argc == 5) {
    MQTTAsync pub = create(uri, client_id("pub"), &b);
    if (connect_client(pub, &b, NULL, NULL, NULL) != 0) fail("publisher CONNACK", 0);
    int code = publish(pub, &b, argv[4], "kept", 1, 1);
    if (code != 0) fail("publish acknowledgement code", code);
    disconnect(pub, &b);
    MQTTAsync sub = create(uri, client_id("late"), &a);
    if (connect_client(sub, &a, NULL, NULL, NULL) != 0) fail("subscriber CONNACK", 0);
    subscribe(sub, &a, argv[4], 1);
    print_messages(&a, 1);
    disconnect(sub, &a);
  } else if (strcmp(scenario, "connect") == 0 && argc == 6) {
    MQTTAsync client = create(uri, client_id("connect"), &a);
    int code = connect_client(client, &a, argv[4], argv[5], NULL);
    printf("connack %d\n", code);
    if (code == 0) {
      disconnect(client, &a);
    } else {
      MQTTAsync_destroy(&client);
    }
  } else if (strcmp(scenario, "suback") == 0 && argc >= 7) {
    MQTTAsync client = create(uri, client_id("suback"), &a);
    if (connect_client(client, &a, argv[4], argv[5], NULL) != 0) fail("CONNACK", 0);
    for (int i = 6; i < argc; ++i)
      printf("suback %s %d\n", argv[i], subscribe(client, &a, argv[i], 1));
    disconnect(client, &a);
  } else if (strcmp(scenario, "puback") == 0 && argc == 8) {
    MQTTAsync client = create(uri, client_id("puback"), &a);
    if (connect_client(client, &a, argv[4], argv[5], NULL) != 0) fail("CONNACK", 0);
    printf("puback %d\n", publish(client, &a, argv[6], "m", atoi(argv[7]), 0));
    disconnect(client, &a);
  } else if (strcmp(scenario, "will") == 0 && argc == 5) {
    MQTTAsync client = create(uri, client_id("will"), &a);
    MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
    will.topicName = argv[4];
    will.message = "paho-c gone";
    will.qos = 1;
    if (connect_client(client, &a, NULL, NULL, &will) != 0) fail("CONNACK", 0);
    printf("connected\n");
    fflush(stdout);
    for (;;) pause();
  } else if (strcmp(scenario, "expect") == 0 && argc == 5) {
    MQTTAsync client = create(uri, client_id("expect"), &a);
    if (connect_client(client, &a, NULL, NULL, NULL) != 0) fail("CONNACK", 0);
    if (subscribe(client, &a, argv[4], 1) != 1) fail("granted QoS", 0);
    printf("subscribed\n");
    fflush(stdout);
    print_messages(&a, 1);
    disconnect(client, &a);
  } else {
    fail("unknown scenario or wrong arguments", 2);
  }
  return 0;
}
