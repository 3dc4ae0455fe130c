#include "tests/support/load.hpp"

#include <optional>

#include "tests/support/http_client.hpp"

namespace portico::test {

LoadGenerator::LoadGenerator(std::uint16_t port, std::string host, std::string get_path,
                             std::string slow_post_path)
    : port_(port),
      host_(std::move(host)),
      get_path_(std::move(get_path)),
      slow_post_path_(std::move(slow_post_path)) {}

LoadGenerator::~LoadGenerator() {
  stop();
}

void LoadGenerator::add_keep_alive_clients(int n) {
  for (int i = 0; i < n; ++i) {
    clients_.emplace_back([this] { run(Kind::KeepAlive); });
  }
}

void LoadGenerator::add_closing_clients(int n) {
  for (int i = 0; i < n; ++i) {
    clients_.emplace_back([this] { run(Kind::Closing); });
  }
}

void LoadGenerator::add_slow_posts(int n) {
  for (int i = 0; i < n; ++i) {
    clients_.emplace_back([this] { run(Kind::SlowPost); });
  }
}

void LoadGenerator::stop() {
  stop_ = true;
  for (auto& client : clients_) {
    if (client.joinable()) {
      client.join();
    }
  }
}

void LoadGenerator::problem(const std::string& what) {
  std::lock_guard lock(mutex_);
  if (problems_.size() < 5) {
    problems_.push_back(what);
  }
}

std::string LoadGenerator::summary() const {
  std::string text = std::to_string(ok_) + " ok, " + std::to_string(failed_) + " failed, " +
                     std::to_string(socket_errors_) + " socket errors, " +
                     std::to_string(retried_) + " retried after an idle close, " +
                     std::to_string(refused_) + " refused";
  std::lock_guard lock(mutex_);
  for (const auto& problem : problems_) {
    text += "\n  " + problem;
  }
  return text;
}

void LoadGenerator::run(Kind kind) {
  const std::map<std::string, std::string> closing = {{"Connection", "close"}};
  std::optional<Connection> connection;
  bool reused = false;  // the connection has answered before
  while (!stop_) {
    if (!connection) {
      if (no_new_connections_) {
        return;
      }
      try {
        connection.emplace(port_);
        reused = false;
      } catch (const std::exception&) {
        ++refused_;
        return;
      }
    }
    try {
      const auto r =
          kind == Kind::SlowPost
              ? connection->send("POST", host_, slow_post_path_, "a comment", closing)
              : connection->get(
                    host_, get_path_,
                    kind == Kind::Closing ? closing : std::map<std::string, std::string>{});
      if (r.status == 200) {
        ++ok_;
      } else {
        ++failed_;
        problem("status " + std::to_string(r.status) + ": " + r.body);
      }
      reused = true;
      if (!r.keep_alive || kind != Kind::KeepAlive) {
        connection.reset();
      }
    } catch (const std::exception& e) {
      connection.reset();
      if (kind == Kind::KeepAlive && reused) {
        ++retried_;  // the next turn resends the GET on a new connection
        continue;
      }
      ++socket_errors_;
      problem(std::string("socket: ") + e.what());
    }
  }
}

}  // namespace portico::test
