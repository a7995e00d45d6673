#pragma once
// Durable state of the cloud services: a tiny key/value store on SQLite, so that a broker restart
// loses nothing. Each service keeps its working set in memory and writes every change through.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct sqlite3;

namespace fota::cloud {

class KvStore {
public:
    /// Opens (creating if needed) the database at `path`; ":memory:" gives a private in-memory
    /// database for unit tests. Throws std::runtime_error with SQLite's message if it cannot.
    explicit KvStore(const std::string& path);
    ~KvStore();
    KvStore(const KvStore&) = delete;
    KvStore& operator=(const KvStore&) = delete;

    /// Inserts or replaces (kind, key) -> value. Throws std::runtime_error on a database error.
    void put(std::string_view kind, std::string_view key, std::string_view value);
    /// Removes (kind, key); absent keys are not an error.
    void erase(std::string_view kind, std::string_view key);
    /// Every (key, value) of `kind`, ordered by key.
    [[nodiscard]] std::vector<std::pair<std::string, std::string>>
    load(std::string_view kind) const;

    /// Groups writes: everything between begin() and commit() reaches the disk atomically.
    /// Nested calls are counted; only the outermost pair touches SQLite.
    void begin();
    void commit();

private:
    void exec(const char* sql);
    sqlite3* db_ = nullptr;
    int transaction_depth_ = 0;
};

/// RAII transaction: begin() now, commit() when the scope ends.
class KvTransaction {
public:
    explicit KvTransaction(KvStore& store) : store_(store) { store_.begin(); }
    ~KvTransaction() {
        try {
            store_.commit();
        } catch (...) { // NOLINT(bugprone-empty-catch): a destructor must not throw
        }
    }
    KvTransaction(const KvTransaction&) = delete;
    KvTransaction& operator=(const KvTransaction&) = delete;

private:
    KvStore& store_;
};

} // namespace fota::cloud
