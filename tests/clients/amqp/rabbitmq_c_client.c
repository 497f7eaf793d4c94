/* rabbitmq-c (librabbitmq) against mockforge: declare, bind, publish with
 * properties and headers, consume, ack, basic.get with redelivery after a
 * reject. Usage: rabbitmq_c_client <port>. Exit 0 on success. */
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, what)                          \
  do {                                             \
    if (!(cond)) {                                 \
      fprintf(stderr, "FAILED: %s\n", what);       \
      exit(1);                                     \
    }                                              \
  } while (0)

static void check_reply(amqp_rpc_reply_t reply, const char* what) {
  CHECK(reply.reply_type == AMQP_RESPONSE_NORMAL, what);
}

int main(int argc, char** argv) {
  CHECK(argc == 2, "usage: rabbitmq_c_client <port>");
  amqp_connection_state_t conn = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(conn);
  CHECK(socket != NULL, "socket");
  CHECK(amqp_socket_open(socket, "127.0.0.1", atoi(argv[1])) == AMQP_STATUS_OK, "open");
  check_reply(amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"),
              "login");
  amqp_channel_open(conn, 1);
  check_reply(amqp_get_rpc_reply(conn), "channel.open");

  amqp_exchange_declare(conn, 1, amqp_cstring_bytes("c.direct"), amqp_cstring_bytes("direct"), 0,
                        0, 0, 0, amqp_empty_table);
  check_reply(amqp_get_rpc_reply(conn), "exchange.declare");
  amqp_queue_declare_ok_t* declared =
      amqp_queue_declare(conn, 1, amqp_cstring_bytes("c.q"), 0, 0, 0, 0, amqp_empty_table);
  CHECK(declared != NULL, "queue.declare");
  amqp_queue_bind(conn, 1, amqp_cstring_bytes("c.q"), amqp_cstring_bytes("c.direct"),
                  amqp_cstring_bytes("rk"), amqp_empty_table);
  check_reply(amqp_get_rpc_reply(conn), "queue.bind");

  amqp_table_entry_t entries[1];
  entries[0].key = amqp_cstring_bytes("trace");
  entries[0].value.kind = AMQP_FIELD_KIND_UTF8;
  entries[0].value.value.bytes = amqp_cstring_bytes("t-1");
  amqp_basic_properties_t props;
  memset(&props, 0, sizeof(props));
  props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_HEADERS_FLAG;
  props.content_type = amqp_cstring_bytes("application/json");
  props.headers.num_entries = 1;
  props.headers.entries = entries;
  CHECK(amqp_basic_publish(conn, 1, amqp_cstring_bytes("c.direct"), amqp_cstring_bytes("rk"), 0,
                           0, &props, amqp_cstring_bytes("{\"n\":1}")) == AMQP_STATUS_OK,
        "publish");

  amqp_basic_consume(conn, 1, amqp_cstring_bytes("c.q"), amqp_empty_bytes, 0, 0, 0,
                     amqp_empty_table);
  check_reply(amqp_get_rpc_reply(conn), "basic.consume");
  amqp_envelope_t envelope;
  amqp_maybe_release_buffers(conn);
  struct timeval timeout = {10, 0};
  check_reply(amqp_consume_message(conn, &envelope, &timeout, 0), "consume_message");
  CHECK(envelope.message.body.len == 7 && memcmp(envelope.message.body.bytes, "{\"n\":1}", 7) == 0,
        "body");
  CHECK(envelope.message.properties.content_type.len == 16, "content type");
  CHECK(envelope.message.properties.headers.num_entries == 1, "headers");
  CHECK(envelope.message.properties.headers.entries[0].value.value.bytes.len == 3, "header value");
  CHECK(!envelope.redelivered, "not redelivered");
  /* Reject with requeue: it comes back redelivered to the same consumer. */
  CHECK(amqp_basic_reject(conn, 1, envelope.delivery_tag, 1) == 0, "reject");
  amqp_destroy_envelope(&envelope);
  check_reply(amqp_consume_message(conn, &envelope, &timeout, 0), "consume again");
  CHECK(envelope.redelivered, "redelivered");
  CHECK(amqp_basic_ack(conn, 1, envelope.delivery_tag, 0) == 0, "ack");
  amqp_destroy_envelope(&envelope);

  /* Passive declare confirms the queue is empty after the ack. */
  declared = amqp_queue_declare(conn, 1, amqp_cstring_bytes("c.q"), 1, 0, 0, 0, amqp_empty_table);
  CHECK(declared != NULL && declared->message_count == 0, "empty after ack");

  check_reply(amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS), "channel.close");
  check_reply(amqp_connection_close(conn, AMQP_REPLY_SUCCESS), "connection.close");
  amqp_destroy_connection(conn);
  printf("rabbitmq-c ok\n");
  return 0;
}
