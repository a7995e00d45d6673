#include "fota/cloud/kv_store.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace fota::cloud {
namespace {

class Statement {
public:
    Statement(sqlite3* db, const char* sql) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
            throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db));
        }
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    void bind(int index, std::string_view text) {
        sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                          SQLITE_TRANSIENT);
    }
    sqlite3_stmt* get() { return stmt_; }

private:
    sqlite3_stmt* stmt_ = nullptr;
};

std::string column_text(sqlite3_stmt* stmt, int column) {
    const auto* text = sqlite3_column_text(stmt, column);
    const int length = sqlite3_column_bytes(stmt, column);
    if (text == nullptr) {
        return {};
    }
    return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(length)};
}

} // namespace

KvStore::KvStore(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
        std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::runtime_error("cannot open state database '" + path + "': " + message);
    }
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA locking_mode=EXCLUSIVE"); // one process owns the state: no lock per commit
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE IF NOT EXISTS kv (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT "
         "NULL, PRIMARY KEY (kind, key))");
}

KvStore::~KvStore() {
    if (transaction_depth_ > 0) {
        sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    }
    sqlite3_close(db_);
}

void KvStore::exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error != nullptr ? error : "unknown error";
        sqlite3_free(error);
        throw std::runtime_error("sqlite: " + message + " in: " + sql);
    }
}

void KvStore::put(std::string_view kind, std::string_view key, std::string_view value) {
    Statement stmt(db_, "INSERT OR REPLACE INTO kv (kind, key, value) VALUES (?1, ?2, ?3)");
    stmt.bind(1, kind);
    stmt.bind(2, key);
    stmt.bind(3, value);
    if (sqlite3_step(stmt.get()) != SQLITE_DONE) {
        throw std::runtime_error(std::string("sqlite put: ") + sqlite3_errmsg(db_));
    }
}

void KvStore::erase(std::string_view kind, std::string_view key) {
    Statement stmt(db_, "DELETE FROM kv WHERE kind = ?1 AND key = ?2");
    stmt.bind(1, kind);
    stmt.bind(2, key);
    if (sqlite3_step(stmt.get()) != SQLITE_DONE) {
        throw std::runtime_error(std::string("sqlite erase: ") + sqlite3_errmsg(db_));
    }
}

std::vector<std::pair<std::string, std::string>> KvStore::load(std::string_view kind) const {
    Statement stmt(db_, "SELECT key, value FROM kv WHERE kind = ?1 ORDER BY key");
    stmt.bind(1, kind);
    std::vector<std::pair<std::string, std::string>> rows;
    int rc = 0;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
        rows.emplace_back(column_text(stmt.get(), 0), column_text(stmt.get(), 1));
    }
    if (rc != SQLITE_DONE) {
        throw std::runtime_error(std::string("sqlite load: ") + sqlite3_errmsg(db_));
    }
    return rows;
}

void KvStore::begin() {
    if (transaction_depth_++ == 0) {
        exec("BEGIN");
    }
}

void KvStore::commit() {
    if (transaction_depth_ > 0 && --transaction_depth_ == 0) {
        exec("COMMIT");
    }
}

} // namespace fota::cloud
