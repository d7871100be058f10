// The PostgreSQL store: every agency's durable state in one database that any number of
// lottery-server instances share. The database does what the file store's journal and group
// commit do: a batch is durable when its transaction's COMMIT has returned (synchronous_commit,
// and a synchronous standby when the operator configures one).
//
// Connections: Qt's QPSQL driver opens them (one named QSqlDatabase per thread, created on first
// use in that thread and closed when the thread ends or at close()); statements go through the
// driver's native PGconn (QSqlDriver::handle()) with libpq, because QPSQL binds no arrays and
// every batch's bets are one INSERT ... SELECT FROM unnest($n::text[], ...) with parameters.
//
// Exactly once across instances: append() locks the agency's row (SELECT ... FOR UPDATE) before
// it decides anything, so two instances can never both store one sequence; the batches table's
// primary key (agency, sequence) would refuse it anyway. The draw is recorded by whichever
// transaction records the last DONE, once: the draw table holds at most one row (a CHECK on its
// primary key), and markDone() serialises on a transaction-scoped advisory lock so that the last
// of two concurrent DONEs sees the other. It then sends NOTIFY lottery_draw.
//
// Digests and the close of sales (docs/AUDIT.md): each agency's row keeps its running SHA-256
// digest and the hash's midstate (RunningDigest::saveState()), so whichever instance stores the
// agency's next batch goes on hashing where the last one stopped, under the agency's row lock;
// each batches row keeps its receipt (stored bets and digest after it), which a resend is
// answered with. The close of sales is one transaction that records the close (reason, time,
// instance) and the seal together in table sales_close, with the draw row, and sends NOTIFY
// lottery_draw. Every batch and DONE transaction first takes a shared advisory lock that the
// close takes exclusively: a close waits for the batches in flight (they are in the seal) and
// every batch after it finds the close row and is refused.
#pragma once

#include "server/storage/bet_store.h"

#include <QHash>
#include <QMutex>
#include <QString>
#include <QThread>
#include <QWaitCondition>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

namespace lottery::server {

class PostgresConnection;

class PostgresBetStore final : public BetStore
{
public:
    // The schema this program writes. A database with a newer one is refused at open().
    // 2: the lottery's identity (table lottery: the expected agency count).
    // 3: digests (agencies.digest_state / digest, batches.stored_bets / digest) and the close of
    //    sales with its seal (table sales_close). A version-2 database gets its digests computed
    //    from its rows at the first start (one transaction).
    static constexpr int kSchemaVersion = 4;
    // The channel markDone() notifies when it records the draw.
    static constexpr const char *kDrawChannel = "lottery_draw";
    // How long append() holds batches, reconnecting, when the connection is lost before COMMIT
    // (a database restart, a failover): the agency sees a slow ACK instead of a refusal.
    static constexpr int kHoldOnLostConnectionMs = 15000;

    // `conninfo`: a libpq connection string (keyword=value or a postgresql:// URI); the password
    // comes from PGPASSWORD, PGPASSFILE / ~/.pgpass or passfile=, never a command line.
    // Agencies 1..expectedAgencies must say DONE before the draw.
    // How append() inserts the bets: one COPY per call (the default: measured faster, see
    // docs/PERFORMANCE.md), or one INSERT ... SELECT FROM unnest(arrays) per batch.
    enum class BetsInsert { Copy, Unnest };
    PostgresBetStore(
        QString conninfo, quint32 expectedAgencies, BetsInsert betsInsert = BetsInsert::Copy);
    ~PostgresBetStore() override;
    PostgresBetStore(const PostgresBetStore &) = delete;
    PostgresBetStore &operator=(const PostgresBetStore &) = delete;

    bool open() override;
    QString errorString() const override;
    QString describe() const override;
    bool keepsDigests() const override { return true; }

    // Reads the agency's row FOR SHARE: waits for a write of the agency in flight on another
    // instance (this instance's writes are ordered by the server's AgencyRequestQueue).
    std::optional<AgencyProgress> welcome(
        quint32 agency, QDeadlineTimer deadline, QString *error) override;
    // Each request in a transaction of its own (one commit per request: combinesRequests()
    // stays false, so the server hands it one request per job).
    std::vector<StoreAnswer> apply(std::vector<StoreRequest> requests) override;
    QHash<quint32, AgencyProgress> durableProgress() const override;
    CloseDecision closeSales(protocol::CloseReason reason, qint64 atMs) override;
    DrawResult draw() override;
    // The operator's switches: table agency_switches (its own, created at open()).
    AgencySwitchDecision setAgencyEnabled(quint32 agency, bool enabled, qint64 atMs) override;
    QSet<quint32> disabledAgencies() const override;
    // LIST_STORED: the agency's stored bets [from, from + count), by its batches' receipts and
    // schema 4's BRIN index (a few block ranges read per request).
    bool listsStoredBets() const override { return true; }
    bool readStoredBets(quint32 agency, quint64 from, quint32 count,
        std::vector<protocol::Bet> *bets, QString *error) const override;

    // Never latched: a failed transaction leaves nothing behind (the database rolls it back),
    // so each call stands alone, and the next one reconnects if the connection was lost.
    bool hasFailed() const override { return false; }
    void requestStop() override;
    void close() override;
    Stats stats() const override;

    // `lottery-server --set-agencies N`: records a new expected agency count in the database
    // (creating the schema first if needed), refused once an agency is done or the draw ran, or
    // while an agency above N has stored bets. Instead of open(); *message says what happened.
    enum class AgenciesChange { Changed, Unchanged, Refused, Failed };
    AgenciesChange setAgencies(quint32 agencies, QString *message);

    // Whether the draw has been recorded (by any instance). Blocking; for the fallback poll.
    std::optional<bool> drawRecorded(QString *error);

    // The conninfo in the form QPSQL's connect options take it (keyword='value' pairs), or an
    // empty string with *error. Exposed for DrawNotifier, which opens its own connection.
    static QString normalizedConnectOptions(const QString &conninfo, QString *error);
    // The conninfo without its password, for logs.
    static QString redacted(const QString &conninfo);

    // The statement and the row format append() loads the bets with (COPY's text format), for
    // the benchmark's floor, which loads the same rows into the same table without the store.
    static constexpr const char *kCopyBetsStatement
        = "COPY bets (agency, sequence, ordinal, first_name, last_name, document, birthdate,"
          " number) FROM STDIN";
    // One row; `agencyAndSequence` is "<agency>\t<sequence>\t".
    static void appendCopyRow(std::string &out, std::string_view agencyAndSequence,
        std::size_t ordinal, const protocol::BetView &bet);

private:
    std::vector<BatchDecision> appendBatches(
        quint32 agency, const std::vector<BatchToStore> &batches);
    DoneDecision recordDone(quint32 agency);
    // This thread's connection (opened if needed, reopened if it was lost), or nullptr with
    // *error.
    PostgresConnection *connection(QString *error);
    void dropThreadConnection(QThread *thread);
    bool migrate(PostgresConnection &db);
    // Schema 3 on a database of an earlier one: every batch's and agency's digest from the
    // stored rows, in order, and the close of a lottery whose draw already ran. Inside the
    // migration's transaction.
    bool computeDigests(PostgresConnection &db, int fromVersion);
    // The seal of what the database stores now (agencies 1..N of its identity row), inside the
    // caller's transaction, or nullopt with db.lastError().
    std::optional<SalesClose> sealNow(
        PostgresConnection &db, protocol::CloseReason reason, qint64 atMs);
    // Records `close` with its draw row and NOTIFY; *recorded: this call inserted it.
    bool recordClose(PostgresConnection &db, const SalesClose &close, bool *recorded);
    // The recorded close, if any (outer nullopt: error, with db.lastError()).
    std::optional<std::optional<SalesClose>> readClose(PostgresConnection &db);
    // At open(): the recorded seal against the agencies' heads, each head against its last
    // batch's receipt. False with db.lastError() when they disagree.
    bool verifySeal(PostgresConnection &db);
    // Runs `once` again, on a new connection, for as long as kHoldOnLostConnectionMs (and the
    // caller's `deadline`) allows, while it reports a lost connection (its error; nullopt: done,
    // whatever the outcome). Only for calls that are safe to repeat: reads, and writes that find
    // their own earlier effect.
    template<typename Once>
    void retryOnLostConnection(QStringView action, QDeadlineTimer deadline, Once once);
    // Whether `db` (nullptr: no connection could be opened) is lost, so a retry may help.
    static bool lost(const PostgresConnection *db);
    // What every call refuses with once requestStop() was called.
    static QString stoppingRefusal();
    // A statement of a call that retryOnLostConnection() repeats failed: keeps its error, rolls
    // the transaction back, and says whether to try again (the connection was lost) or not.
    static std::optional<QString> rollBackFailed(PostgresConnection &db, QString *error);
    // Creates agency_switches if missing (under the migration lock; no schema version of its
    // own: an older server ignores it). False with db.lastError().
    bool createAgencySwitches(PostgresConnection &db);
    // The agency's switch as committed (false when none or on error: *error set then).
    bool agencyDisabled(PostgresConnection &db, quint32 agency, QString *error);
    // The agency count the database records, or nullopt with db.lastError().
    std::optional<quint32> recordedAgencies(PostgresConnection &db);
    // One try of append(): every decision, or Failed for all with *lostBeforeCommit telling
    // whether the connection went before COMMIT (then nothing happened: safe to try again).
    void appendOnce(quint32 agency, const std::vector<BatchToStore> &batches,
        std::vector<BatchDecision> &decisions, bool *lostBeforeCommit);
    static bool insertBets(
        PostgresConnection &db, const std::string &agencyText, const BatchToStore &batch);
    static bool copyBets(PostgresConnection &db, quint32 agency,
        const std::vector<BatchToStore> &batches, const std::vector<std::size_t> &toStore);

    const QString m_conninfo;
    const quint32 m_expectedAgencies;
    const BetsInsert m_betsInsert;
    const quint64 m_id; // tells this store's connection names apart from another store's
    const QString m_instance; // host:pid, recorded with a close this instance makes
    QString m_connectOptions;

    mutable QMutex m_mutex;
    QString m_error;
    bool m_stopping = false;
    Stats m_stats;

    QMutex m_connectionsMutex;
    QHash<QThread *, std::shared_ptr<PostgresConnection>> m_connections;
    std::atomic<quint64> m_connectionCounter {0};
};

} // namespace lottery::server
