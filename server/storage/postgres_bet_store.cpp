#include "server/storage/postgres_bet_store.h"

#include "server/storage/batch_rules.h"
#include "server/storage/postgres_connection.h"
#include "server/tsan_annotations.h"

#include "common/bet_digest.h"
#include "common/log.h"
#include "lottery/protocol/limits.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QMutexLocker>
#include <QSysInfo>
#include <QThread>

#include <libpq-fe.h>

#include <string>

namespace lottery::server {

namespace {

// COMMIT. Empty when it returned; else why not: the outcome is then unknown (the connection may
// have gone during it, after the server committed), so nothing it decided may be acknowledged.
// Only a call that is safe to repeat (DONE, the close, a switch) may retry it.
QString commitOrUnknown(PostgresConnection &db)
{
    if (db.command("COMMIT"))
        return {};
    return QStringLiteral("COMMIT did not return (%1): the outcome is unknown").arg(db.lastError());
}

using Kind = BatchDecision::Kind;

std::atomic<quint64> g_storeCounter {0};

// Keys of the transaction-scoped advisory locks (any two numbers no one else uses).
constexpr qint64 kMigrationLockKey = 0x4c6f7465726961; // "Loteria"
constexpr qint64 kDrawLockKey = 0x4c6f746572696b; // the DONE -> draw decision
// Taken shared by every batch and DONE transaction before anything else, exclusively by the
// close of sales: no batch is decided while a close is, and each one after reads the close.
constexpr qint64 kCloseLockKey = 0x4c6f7465726963; // "Loteric"

const char *const kSchemaV1[] = {
    "CREATE TABLE agencies ("
    " agency bigint PRIMARY KEY CHECK (agency >= 0),"
    " last_sequence bigint NOT NULL DEFAULT 0,"
    " stored_bets bigint NOT NULL DEFAULT 0,"
    " done boolean NOT NULL DEFAULT false)",
    // A batch's fingerprint: a resend of a stored sequence is a duplicate only if both match.
    "CREATE TABLE batches ("
    " agency bigint NOT NULL,"
    " sequence bigint NOT NULL CHECK (sequence > 0),"
    " bet_count integer NOT NULL,"
    " crc bigint NOT NULL,"
    " stored_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (agency, sequence))",
    // No key of its own: a batch's bets are inserted in the transaction that inserts its
    // batches row, whose primary key makes them unique. `ordinal` keeps the order within a batch.
    "CREATE TABLE bets ("
    " agency bigint NOT NULL,"
    " sequence bigint NOT NULL,"
    " ordinal integer NOT NULL,"
    " first_name text NOT NULL,"
    " last_name text NOT NULL,"
    " document text NOT NULL,"
    " birthdate date NOT NULL,"
    " number integer NOT NULL)",
    // The draw reads only winners: a partial index keeps that read proportional to them.
    "CREATE INDEX bets_winners ON bets (agency, sequence, ordinal) INCLUDE (document)"
    " WHERE number = 7574",
    // At most one row, ever: the draw is recorded exactly once, whoever tries.
    "CREATE TABLE draw ("
    " id smallint PRIMARY KEY CHECK (id = 1),"
    " recorded_at timestamptz NOT NULL DEFAULT now(),"
    " agencies bigint NOT NULL,"
    " bets bigint NOT NULL,"
    " winners bigint NOT NULL)",
};

// Version 2: the lottery's identity, recorded once (at creation, or adopted from the first
// instance that migrates a version-1 database) and changed only by --set-agencies.
const char *const kSchemaV2[] = {
    "CREATE TABLE lottery ("
    " id smallint PRIMARY KEY CHECK (id = 1),"
    " agencies bigint NOT NULL CHECK (agencies > 0),"
    " recorded_at timestamptz NOT NULL DEFAULT now())",
};

// Version 3: digests and the close of sales. An agency's `digest_state` is its running
// digest's midstate (RunningDigest::saveState()), `digest` the digest of its stored bets; a
// batch's `stored_bets` and `digest` are its receipt. NULL: nothing hashed (no bets). The close
// row holds the seal of docs/AUDIT.md over agencies 1..`agencies`.
const char *const kSchemaV3[] = {
    "ALTER TABLE agencies ADD COLUMN digest_state bytea, ADD COLUMN digest bytea",
    "ALTER TABLE batches ADD COLUMN stored_bets bigint, ADD COLUMN digest bytea",
    "CREATE TABLE sales_close ("
    " id smallint PRIMARY KEY CHECK (id = 1),"
    " reason smallint NOT NULL,"
    " closed_at_ms bigint NOT NULL,"
    " instance text NOT NULL,"
    " agencies bigint NOT NULL,"
    " agencies_done bigint NOT NULL,"
    " total_bets bigint NOT NULL,"
    " seal bytea NOT NULL CHECK (length(seal) = 32),"
    " recorded_at timestamptz NOT NULL DEFAULT now())",
};

// Version 4: an agency's stored bets read back in order, a range at a time (LIST_STORED, the
// resume by content). A BRIN index, not a B-tree: it costs inserts next to nothing (a B-tree on
// (agency, sequence, ordinal) made 2,000,000 stored bets 2.3x slower, docs/PERFORMANCE.md), and
// since agencies upload side by side, a range of sequence numbers lies in a few block ranges.
// readStoredBets() summarizes what was inserted since the last listing before it reads.
const char *const kSchemaV4[] = {
    "CREATE INDEX IF NOT EXISTS bets_by_sequence ON bets USING brin (sequence, agency)"
    " WITH (pages_per_range = 16)",
};

std::string hexOf(std::string_view bytes)
{
    return QByteArray::fromRawData(bytes.data(), qsizetype(bytes.size())).toHex().toStdString();
}

std::string hexOf(const protocol::Digest &digest)
{
    return digestHex(digest).toStdString();
}

std::string bytesOfHex(const std::string &hex)
{
    return QByteArray::fromHex(QByteArray::fromStdString(hex)).toStdString();
}

// A digest column read as encode(.., 'hex'); NULL (read as "") is the digest of nothing.
std::optional<protocol::Digest> digestOfHex(const std::string &hex)
{
    if (hex.empty())
        return sha256Of({});
    protocol::Digest digest {};
    if (!parseDigestHex(QString::fromStdString(hex), &digest))
        return std::nullopt;
    return digest;
}

std::string closeLockText()
{
    return std::to_string(kCloseLockKey);
}

// PostgreSQL array literal of text elements: each element double-quoted, with '"' and '\'
// backslash-escaped (the only two characters special inside quotes).
class ArrayLiteral
{
public:
    explicit ArrayLiteral(std::size_t reserve) { m_text.reserve(reserve); }
    void add(std::string_view element)
    {
        m_text += m_text.empty() ? "{\"" : ",\"";
        for (const char c : element) {
            if (c == '"' || c == '\\')
                m_text += '\\';
            m_text += c;
        }
        m_text += '"';
    }
    void addNumber(quint64 value)
    {
        m_text += m_text.empty() ? '{' : ',';
        m_text += std::to_string(value);
    }
    const char *finish()
    {
        m_text += m_text.empty() ? "{}" : "}";
        return m_text.c_str();
    }
    std::size_t size() const { return m_text.size(); }

private:
    std::string m_text;
};

// A field of COPY's text format: backslash, tab, newline and carriage return escaped.
void appendCopyField(std::string &out, std::string_view field)
{
    for (const char c : field) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default: out += c;
        }
    }
}

void failStored(std::vector<BatchDecision> &decisions, const QString &error)
{
    for (BatchDecision &decision : decisions) {
        if (decision.kind == Kind::Stored) {
            decision.kind = Kind::Failed;
            decision.error = error;
        }
    }
}

} // namespace

PostgresBetStore::PostgresBetStore(
    QString conninfo, quint32 expectedAgencies, BetsInsert betsInsert)
    : m_conninfo(std::move(conninfo)), m_expectedAgencies(expectedAgencies),
      m_betsInsert(betsInsert), m_id(++g_storeCounter),
      m_instance(QStringLiteral("%1:%2")
                     .arg(QSysInfo::machineHostName())
                     .arg(QCoreApplication::applicationPid()))
{
}

PostgresBetStore::~PostgresBetStore()
{
    close();
}

QString PostgresBetStore::normalizedConnectOptions(const QString &conninfo, QString *error)
{
    return PostgresConnection::connectOptions(conninfo, error);
}

QString PostgresBetStore::redacted(const QString &conninfo)
{
    return PostgresConnection::redacted(conninfo);
}

QString PostgresBetStore::describe() const
{
    return QStringLiteral("postgresql:%1").arg(redacted(m_conninfo));
}

QString PostgresBetStore::errorString() const
{
    QMutexLocker locker(&m_mutex);
    return m_error;
}

bool PostgresBetStore::open()
{
    QString error;
    m_connectOptions = normalizedConnectOptions(m_conninfo, &error);
    PostgresConnection *db = m_connectOptions.isEmpty() ? nullptr : connection(&error);
    if (!db || !migrate(*db) || !createAgencySwitches(*db)) {
        if (db)
            error = db->lastError();
        QMutexLocker locker(&m_mutex);
        m_error = error;
        return false;
    }
    const std::optional<quint32> recorded = recordedAgencies(*db);
    if (!recorded || *recorded != m_expectedAgencies) {
        // The draw depends on it: every instance must count the same agencies.
        error = recorded
            ? QStringLiteral("the lottery in %1 was recorded for %2 agencies, but this "
                             "instance is configured for %3: start it with --agencies %2 "
                             "(SERVER_AGENCIES=%2), or, if the lottery really changes, stop "
                             "every instance and run lottery-server --set-agencies %3 (refused "
                             "once an agency is done)")
                  .arg(redacted(m_conninfo))
                  .arg(*recorded)
                  .arg(m_expectedAgencies)
            : db->lastError();
        if (recorded) {
            LOTTERY_LOG_FAIL("identidad")
                .field(u"store", describe())
                .field(u"recorded_agencies", *recorded)
                .field(u"configured_agencies", m_expectedAgencies)
                .field(u"error", error);
        }
        QMutexLocker locker(&m_mutex);
        m_error = error;
        return false;
    }
    if (!verifySeal(*db)) {
        error = db->lastError();
        LOTTERY_LOG_FAIL("recuperacion")
            .field(u"store", describe())
            .field(u"error", error)
            .field(u"changed", "nothing");
        QMutexLocker locker(&m_mutex);
        m_error = error;
        return false;
    }
    LOTTERY_LOG_SUCCESS("store_open")
        .field(u"store", describe())
        .field(u"schema_version", kSchemaVersion)
        .field(u"server", db->serverDescription());
    return true;
}

bool PostgresBetStore::migrate(PostgresConnection &db)
{
    // One transaction, serialised across instances starting at once.
    if (!db.command("BEGIN") || !db.command("SET LOCAL client_min_messages = warning")
        || !db.command("SELECT pg_advisory_xact_lock($1)", {std::to_string(kMigrationLockKey)})
        || !db.command("CREATE TABLE IF NOT EXISTS schema_version ("
                       " id smallint PRIMARY KEY CHECK (id = 1), version integer NOT NULL)")) {
        db.rollback();
        return false;
    }
    PgResult current = db.query("SELECT version FROM schema_version WHERE id = 1");
    if (!current.ok()) {
        db.rollback();
        return false;
    }
    const int version = current.rows() == 0 ? 0 : current.integer(0, 0);
    if (version > kSchemaVersion) {
        db.rollback();
        db.setError(QStringLiteral("the database %1 has schema version %2, newer than the %3 "
                                   "this lottery-server knows: run a newer lottery-server")
                        .arg(redacted(m_conninfo))
                        .arg(version)
                        .arg(kSchemaVersion));
        return false;
    }
    if (version < 1) {
        for (const char *statement : kSchemaV1) {
            if (!db.command(statement)) {
                db.rollback();
                return false;
            }
        }
    }
    if (version < 2) {
        for (const char *statement : kSchemaV2) {
            if (!db.command(statement)) {
                db.rollback();
                return false;
            }
        }
        if (!db.command("INSERT INTO lottery (id, agencies) VALUES (1, $1)",
                {std::to_string(m_expectedAgencies)})) {
            db.rollback();
            return false;
        }
    }
    if (version < 3) {
        for (const char *statement : kSchemaV3) {
            if (!db.command(statement)) {
                db.rollback();
                return false;
            }
        }
        if (version > 0 && !computeDigests(db, version)) {
            db.rollback();
            return false;
        }
    }
    if (version < 4) {
        for (const char *statement : kSchemaV4) {
            if (!db.command(statement)) {
                db.rollback();
                return false;
            }
        }
    }
    if (version < kSchemaVersion) {
        if (!db.command("INSERT INTO schema_version (id, version) VALUES (1, $1)"
                        " ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version",
                std::vector<std::string> {std::to_string(kSchemaVersion)})) {
            db.rollback();
            return false;
        }
    }
    if (!db.command("COMMIT"))
        return false;
    if (version != kSchemaVersion) {
        LOTTERY_LOG_SUCCESS("schema_migrate")
            .field(u"store", describe())
            .field(u"from", version)
            .field(u"to", kSchemaVersion);
    }
    if (version < 2) {
        LOTTERY_LOG_SUCCESS("identidad")
            .field(u"store", describe())
            .field(u"agencies", m_expectedAgencies)
            .field(u"origin",
                version == 0 ? "new database"
                             : "adopted from the configuration (the database had none)");
    }
    return true;
}

bool PostgresBetStore::computeDigests(PostgresConnection &db, int fromVersion)
{
    // Every batch in order, then every bet in the same order through a cursor (bounded memory
    // whatever the database holds): each batch takes its bet_count bets.
    PgResult batches = db.query("SELECT agency, sequence, bet_count FROM batches"
                                " ORDER BY agency, sequence");
    PgResult recorded = db.query("SELECT agency, stored_bets FROM agencies");
    if (!batches.ok() || !recorded.ok()
        || !db.command("DECLARE lottery_digest_rows NO SCROLL CURSOR FOR"
                       " SELECT agency, sequence, first_name, last_name, document,"
                       " to_char(birthdate, 'YYYY-MM-DD'), number FROM bets"
                       " ORDER BY agency, sequence, ordinal"))
        return false;
    QHash<quint64, quint64> storedBets;
    for (int i = 0; i < recorded.rows(); ++i)
        storedBets.insert(recorded.unsignedInteger(i, 0), recorded.unsignedInteger(i, 1));

    PgResult chunk;
    int next = 0;
    const auto nextBet = [&]() -> int {
        if (next >= chunk.rows()) {
            chunk = db.query("FETCH 20000 FROM lottery_digest_rows");
            next = 0;
            if (!chunk.ok() || chunk.rows() == 0)
                return -1;
        }
        return next++;
    };
    const auto damaged = [&](const QString &why) {
        db.setError(QStringLiteral("cannot compute the digests of %1 (schema %2 to 3): %3")
                        .arg(redacted(m_conninfo))
                        .arg(fromVersion)
                        .arg(why));
        return false;
    };

    ArrayLiteral batchAgencies(1024), batchSequences(1024), batchCounts(1024), batchDigests(1024);
    ArrayLiteral agencyIds(64), agencyStates(64), agencyDigests(64);
    int pendingBatches = 0;
    const auto flushBatches = [&] {
        if (pendingBatches == 0)
            return true;
        const bool ok = db.command(
            "UPDATE batches b SET stored_bets = u.s, digest = decode(u.d, 'hex')"
            " FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) AS u(a, q, s, d)"
            " WHERE b.agency = u.a AND b.sequence = u.q",
            {batchAgencies.finish(), batchSequences.finish(), batchCounts.finish(),
                batchDigests.finish()});
        batchAgencies = ArrayLiteral(1024);
        batchSequences = ArrayLiteral(1024);
        batchCounts = ArrayLiteral(1024);
        batchDigests = ArrayLiteral(1024);
        pendingBatches = 0;
        return ok;
    };
    RunningDigest digest;
    quint64 agency = 0;
    bool haveAgency = false;
    quint64 totalBets = 0;
    const auto finishAgency = [&] {
        if (!haveAgency)
            return true;
        if (storedBets.value(agency) != digest.bets()) {
            return damaged(
                QStringLiteral("agency %1's row says %2 stored bets, its batches hold %3")
                    .arg(agency)
                    .arg(storedBets.value(agency))
                    .arg(digest.bets()));
        }
        agencyIds.addNumber(agency);
        agencyStates.add(hexOf(digest.saveState()));
        agencyDigests.add(hexOf(digest.current()));
        return true;
    };
    for (int i = 0; i < batches.rows(); ++i) {
        const quint64 batchAgency = batches.unsignedInteger(i, 0);
        const quint64 sequence = batches.unsignedInteger(i, 1);
        const quint64 count = batches.unsignedInteger(i, 2);
        if (!haveAgency || batchAgency != agency) {
            if (!finishAgency())
                return false;
            agency = batchAgency;
            haveAgency = true;
            digest = RunningDigest();
        }
        for (quint64 k = 0; k < count; ++k) {
            const int row = nextBet();
            if (row < 0 || chunk.unsignedInteger(row, 0) != agency
                || chunk.unsignedInteger(row, 1) != sequence) {
                return damaged(QStringLiteral("agency %1's batch %2 records %3 bets, the bets "
                                              "table holds fewer")
                                   .arg(agency)
                                   .arg(sequence)
                                   .arg(count));
            }
            const std::string first = chunk.text(row, 2);
            const std::string last = chunk.text(row, 3);
            const std::string document = chunk.text(row, 4);
            const std::string birthdate = chunk.text(row, 5);
            digest.addBet(protocol::BetView(first, last, document, birthdate,
                static_cast<std::uint16_t>(chunk.unsignedInteger(row, 6))));
        }
        totalBets += count;
        batchAgencies.addNumber(agency);
        batchSequences.addNumber(sequence);
        batchCounts.addNumber(digest.bets());
        batchDigests.add(hexOf(digest.current()));
        if (++pendingBatches >= 5000 && !flushBatches())
            return false;
    }
    if (!finishAgency() || !flushBatches())
        return false;
    if (nextBet() >= 0)
        return damaged(QStringLiteral("the bets table holds bets of no batch"));
    if (!db.command("CLOSE lottery_digest_rows")
        || !db.command("UPDATE agencies a SET digest_state = decode(u.s, 'hex'),"
                       " digest = decode(u.d, 'hex')"
                       " FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(a, s, d)"
                       " WHERE a.agency = u.a",
            {agencyIds.finish(), agencyStates.finish(), agencyDigests.finish()}))
        return false;

    // A lottery whose draw already ran (every agency done under the previous version): it ran
    // over exactly these bets, so they are sealed now, at the draw's time, as this version would
    // have done at its last DONE.
    PgResult draw = db.query("SELECT (extract(epoch FROM recorded_at) * 1000)::bigint FROM draw");
    if (!draw.ok())
        return false;
    QString closeText = QStringLiteral("none");
    if (draw.rows() > 0) {
        std::optional<SalesClose> close = sealNow(db, protocol::CloseReason::AllAgenciesDone,
            static_cast<qint64>(draw.unsignedInteger(0, 0)));
        bool inserted = false;
        if (!close || !recordClose(db, *close, &inserted))
            return false;
        closeText = digestHex(close->root);
    }
    LOTTERY_LOG_SUCCESS("schema_digests")
        .field(u"store", describe())
        .field(u"batches", batches.rows())
        .field(u"bets", totalBets)
        .field(u"sello", closeText);
    return true;
}

std::optional<SalesClose> PostgresBetStore::sealNow(
    PostgresConnection &db, protocol::CloseReason reason, qint64 atMs)
{
    const std::optional<quint32> agencies = recordedAgencies(db);
    if (!agencies)
        return std::nullopt;
    PgResult rows = db.query("SELECT agency, stored_bets, encode(digest, 'hex'), done"
                             " FROM agencies WHERE agency BETWEEN 1 AND $1",
        {std::to_string(*agencies)});
    if (!rows.ok())
        return std::nullopt;
    SalesClose close;
    close.closedAtMs = atMs;
    close.reason = reason;
    for (quint32 agency = 1; agency <= *agencies; ++agency)
        close.heads.insert(agency, AgencyHead {0, sha256Of({})});
    for (int i = 0; i < rows.rows(); ++i) {
        const quint32 agency = static_cast<quint32>(rows.unsignedInteger(i, 0));
        const std::optional<protocol::Digest> digest = digestOfHex(rows.text(i, 2));
        if (!digest) {
            db.setError(
                QStringLiteral("agency %1's digest in the database is not 32 bytes").arg(agency));
            return std::nullopt;
        }
        close.heads[agency] = AgencyHead {rows.unsignedInteger(i, 1), *digest};
        close.agenciesDone += rows.boolean(i, 3) ? 1 : 0;
    }
    std::vector<SealEntry> entries;
    entries.reserve(*agencies);
    for (quint32 agency = 1; agency <= *agencies; ++agency) {
        const AgencyHead head = close.heads.value(agency);
        close.totalBets += head.bets;
        entries.push_back(SealEntry {agency, head.bets, head.digest});
    }
    close.root = sealRoot(entries);
    return close;
}

bool PostgresBetStore::recordClose(PostgresConnection &db, const SalesClose &close, bool *recorded)
{
    PgResult row = db.query(
        "INSERT INTO sales_close (id, reason, closed_at_ms, instance, agencies, agencies_done,"
        " total_bets, seal) VALUES (1, $1, $2, $3, $4, $5, $6, decode($7, 'hex'))"
        " ON CONFLICT (id) DO NOTHING RETURNING id",
        {std::to_string(static_cast<int>(close.reason)), std::to_string(close.closedAtMs),
            m_instance.toStdString(), std::to_string(close.heads.size()),
            std::to_string(close.agenciesDone), std::to_string(close.totalBets),
            hexOf(close.root)});
    if (!row.ok())
        return false;
    *recorded = row.rows() == 1;
    if (!*recorded)
        return true;
    // The draw row says "the draw is due" to every instance (their notifiers poll it), and the
    // NOTIFY wakes them at once; both are seen only once this transaction commits.
    return db.command("INSERT INTO draw (id, agencies, bets, winners)"
                      " SELECT 1, $1, $2, (SELECT count(*) FROM bets WHERE number = 7574)"
                      " ON CONFLICT (id) DO NOTHING",
               {std::to_string(close.heads.size()), std::to_string(close.totalBets)})
        && db.command(
            QStringLiteral("NOTIFY %1").arg(QLatin1String(kDrawChannel)).toStdString().c_str());
}

std::optional<std::optional<SalesClose>> PostgresBetStore::readClose(PostgresConnection &db)
{
    PgResult row = db.query("SELECT reason, closed_at_ms, agencies_done, total_bets,"
                            " encode(seal, 'hex'), agencies FROM sales_close WHERE id = 1");
    if (!row.ok())
        return std::nullopt;
    if (row.rows() == 0)
        return std::optional<SalesClose>();
    const int reason = row.integer(0, 0);
    const std::optional<protocol::Digest> seal = digestOfHex(row.text(0, 4));
    if (!protocol::isKnownCloseReason(static_cast<std::uint8_t>(reason)) || reason > 255 || !seal) {
        db.setError(QStringLiteral("the close of sales recorded in %1 is damaged (reason %2)")
                        .arg(redacted(m_conninfo))
                        .arg(reason));
        return std::nullopt;
    }
    SalesClose close;
    close.reason = static_cast<protocol::CloseReason>(reason);
    close.closedAtMs = static_cast<qint64>(row.unsignedInteger(0, 1));
    close.agenciesDone = static_cast<quint32>(row.unsignedInteger(0, 2));
    close.totalBets = row.unsignedInteger(0, 3);
    close.root = *seal;
    // The heads: nothing is stored after the close, so the agencies' rows still hold them.
    const quint64 agencies = row.unsignedInteger(0, 5);
    PgResult heads = db.query("SELECT agency, stored_bets, encode(digest, 'hex') FROM agencies"
                              " WHERE agency BETWEEN 1 AND $1",
        {std::to_string(agencies)});
    if (!heads.ok())
        return std::nullopt;
    for (quint32 agency = 1; agency <= agencies; ++agency)
        close.heads.insert(agency, AgencyHead {0, sha256Of({})});
    for (int i = 0; i < heads.rows(); ++i) {
        const quint32 agency = static_cast<quint32>(heads.unsignedInteger(i, 0));
        close.heads[agency] = AgencyHead {heads.unsignedInteger(i, 1),
            digestOfHex(heads.text(i, 2)).value_or(protocol::Digest {})};
    }
    return std::optional<SalesClose>(std::move(close));
}

bool PostgresBetStore::verifySeal(PostgresConnection &db)
{
    // Cheap checks (one row per agency): each agency's head is its last batch's receipt, and
    // the recorded seal is the seal of the heads. Recomputing every digest from the bets is
    // lottery-audit's work, not every start's.
    PgResult heads = db.query(
        "SELECT a.agency, a.stored_bets, coalesce(l.stored_bets, 0) FROM agencies a"
        " LEFT JOIN LATERAL (SELECT stored_bets, digest FROM batches b WHERE b.agency = a.agency"
        " ORDER BY sequence DESC LIMIT 1) l ON true"
        " WHERE a.stored_bets <> coalesce(l.stored_bets, 0) OR a.digest IS DISTINCT FROM l.digest"
        " ORDER BY a.agency LIMIT 1");
    if (!heads.ok())
        return false;
    if (heads.rows() > 0) {
        db.setError(QStringLiteral("agency %1's row in %2 (%3 stored bets) does not match its "
                                   "last batch's receipt (%4 bets): the database was changed "
                                   "outside the server; nothing was changed (run lottery-audit)")
                        .arg(heads.unsignedInteger(0, 0))
                        .arg(redacted(m_conninfo))
                        .arg(heads.unsignedInteger(0, 1))
                        .arg(heads.unsignedInteger(0, 2)));
        return false;
    }
    const std::optional<std::optional<SalesClose>> recorded = readClose(db);
    if (!recorded)
        return false;
    if (!*recorded)
        return true;
    std::vector<SealEntry> entries;
    for (quint32 agency = 1; agency <= quint32((*recorded)->heads.size()); ++agency) {
        const AgencyHead head = (*recorded)->heads.value(agency);
        entries.push_back(SealEntry {agency, head.bets, head.digest});
    }
    const protocol::Digest root = sealRoot(entries);
    if (root != (*recorded)->root) {
        db.setError(QStringLiteral("the bets sealed at the close of sales in %1 do not match "
                                   "their seal (recorded %2, recomputed from the agencies' "
                                   "digests %3): the database was changed after the close; "
                                   "nothing was changed (run lottery-audit)")
                        .arg(redacted(m_conninfo), digestHex((*recorded)->root), digestHex(root)));
        return false;
    }
    return true;
}

std::optional<quint32> PostgresBetStore::recordedAgencies(PostgresConnection &db)
{
    PgResult row = db.query("SELECT agencies FROM lottery WHERE id = 1");
    if (!row.ok())
        return std::nullopt;
    if (row.rows() != 1) {
        db.setError(QStringLiteral("the database %1 has no identity row (table lottery)")
                        .arg(redacted(m_conninfo)));
        return std::nullopt;
    }
    return static_cast<quint32>(row.unsignedInteger(0, 0));
}

PostgresBetStore::AgenciesChange PostgresBetStore::setAgencies(quint32 agencies, QString *message)
{
    QString error;
    m_connectOptions = normalizedConnectOptions(m_conninfo, &error);
    PostgresConnection *db = m_connectOptions.isEmpty() ? nullptr : connection(&error);
    if (!db || !migrate(*db)) {
        *message = db ? db->lastError() : error;
        return AgenciesChange::Failed;
    }
    const auto failed = [&] {
        *message = db->lastError();
        db->rollback();
        return AgenciesChange::Failed;
    };
    const auto refused = [&](const QString &why) {
        *message = why;
        db->rollback();
        return AgenciesChange::Refused;
    };
    // The DONE -> draw decision takes the same lock: no DONE can slip between the check and
    // the change.
    if (!db->command("BEGIN")
        || !db->command("SELECT pg_advisory_xact_lock($1)", {std::to_string(kDrawLockKey)}))
        return failed();
    const std::optional<quint32> before = recordedAgencies(*db);
    if (!before)
        return failed();
    PgResult draw = db->query("SELECT count(*) FROM draw");
    PgResult done = db->query("SELECT agency FROM agencies WHERE done ORDER BY agency LIMIT 1");
    PgResult above = db->query("SELECT agency FROM agencies WHERE agency > $1 AND stored_bets > 0"
                               " ORDER BY agency LIMIT 1",
        {std::to_string(agencies)});
    if (!draw.ok() || !done.ok() || !above.ok())
        return failed();
    if (draw.unsignedInteger(0, 0) > 0)
        return refused(QStringLiteral("the draw has run: the lottery is final"));
    if (done.rows() > 0) {
        return refused(QStringLiteral("agency %1 is done: the agency count is final once an "
                                      "agency has finished")
                           .arg(done.unsignedInteger(0, 0)));
    }
    if (above.rows() > 0) {
        return refused(QStringLiteral("agency %1 has stored bets, so the lottery cannot have "
                                      "fewer than %1 agencies")
                           .arg(above.unsignedInteger(0, 0)));
    }
    if (*before == agencies) {
        db->rollback();
        *message = QStringLiteral("the database already records %1 agencies").arg(agencies);
        return AgenciesChange::Unchanged;
    }
    if (!db->command("UPDATE lottery SET agencies = $1, recorded_at = now() WHERE id = 1",
            {std::to_string(agencies)})
        || !db->command("COMMIT"))
        return failed();
    *message = QStringLiteral("%1 agencies (was %2)").arg(agencies).arg(*before);
    return AgenciesChange::Changed;
}

PostgresConnection *PostgresBetStore::connection(QString *error)
{
    QThread *thread = QThread::currentThread();
    std::shared_ptr<PostgresConnection> db;
    {
        QMutexLocker locker(&m_connectionsMutex);
        const auto it = m_connections.constFind(thread);
        if (it != m_connections.constEnd())
            db = *it;
    }
    if (!db) {
        db = std::make_shared<PostgresConnection>(
            QStringLiteral("lottery-pg-%1-%2").arg(m_id).arg(++m_connectionCounter));
        // Closed in the thread that used it when that thread ends (pool threads expire), or by
        // close() once the pool has finished.
        db->setFinishedHook(QObject::connect(
            thread, &QThread::finished, thread, [this, thread] { dropThreadConnection(thread); },
            Qt::DirectConnection));
        QMutexLocker locker(&m_connectionsMutex);
        m_connections.insert(thread, db);
    }
    if (!db->ensureOpen(m_connectOptions)) {
        *error = db->lastError();
        return nullptr;
    }
    return db.get();
}

void PostgresBetStore::dropThreadConnection(QThread *thread)
{
    std::shared_ptr<PostgresConnection> db;
    {
        QMutexLocker locker(&m_connectionsMutex);
        db = m_connections.take(thread);
    }
    if (db)
        db->closeAndRemove();
}

std::optional<AgencyProgress> PostgresBetStore::welcome(
    quint32 agency, QDeadlineTimer deadline, QString *error)
{
    {
        // This instance's writes of the agency returned before this call (the server orders
        // them); another instance's are behind the agency's row lock, and what they commit is in
        // the row read below.
        QMutexLocker locker(&m_mutex);
        if (m_stopping) {
            *error = stoppingRefusal();
            return std::nullopt;
        }
    }
    std::optional<AgencyProgress> progress;
    retryOnLostConnection(u"hello", deadline, [&]() -> std::optional<QString> {
        PostgresConnection *db = connection(error);
        if (!db)
            return *error;
        // FOR SHARE waits for an append() of the agency in flight on any instance (it holds
        // the row FOR UPDATE to its COMMIT), so WELCOME reports what that one decided too.
        PgResult row = db->query("SELECT last_sequence, stored_bets, done, encode(digest, 'hex'),"
                                 " EXISTS (SELECT 1 FROM sales_close) FROM agencies"
                                 " WHERE agency = $1 FOR SHARE OF agencies",
            {std::to_string(agency)});
        PgResult closed;
        if (row.ok() && row.rows() == 0)
            closed = db->query("SELECT EXISTS (SELECT 1 FROM sales_close)");
        if (!row.ok() || (row.rows() == 0 && !closed.ok())) {
            *error = db->lastError();
            return lost(db) ? std::optional<QString>(*error) : std::nullopt;
        }
        AgencyProgress read;
        read.digest = sha256Of({});
        if (row.rows() > 0) {
            read.lastSequence = row.unsignedInteger(0, 0);
            read.storedBets = row.unsignedInteger(0, 1);
            read.done = row.boolean(0, 2);
            read.digest = digestOfHex(row.text(0, 3)).value_or(protocol::Digest {});
            read.salesClosed = row.boolean(0, 4);
        } else {
            read.salesClosed = closed.boolean(0, 0);
        }
        // Read at every HELLO: a switch any instance committed holds here.
        QString switchError;
        read.disabled = agencyDisabled(*db, agency, &switchError);
        if (!switchError.isEmpty()) {
            *error = switchError;
            return lost(db) ? std::optional<QString>(*error) : std::nullopt;
        }
        progress = read;
        return std::nullopt;
    });
    return progress;
}

QHash<quint32, AgencyProgress> PostgresBetStore::durableProgress() const
{
    QHash<quint32, AgencyProgress> progress;
    QString error;
    // The per-thread connection cache is not the store's logical state; reading through it
    // changes nothing a caller can see.
    PostgresConnection *db = const_cast<PostgresBetStore *>(this)->connection(&error);
    if (!db) {
        LOTTERY_LOG_FAIL("durable_progress").field(u"error", error);
        return progress;
    }
    // Every instance's committed rows: the counts also cover what other instances stored.
    PgResult rows = db->query("SELECT agency, last_sequence, stored_bets, done,"
                              " encode(digest, 'hex'), EXISTS (SELECT 1 FROM sales_close)"
                              " FROM agencies ORDER BY agency",
        {});
    if (!rows.ok()) {
        LOTTERY_LOG_FAIL("durable_progress").field(u"error", db->lastError());
        return progress;
    }
    for (int row = 0; row < rows.rows(); ++row) {
        progress.insert(static_cast<quint32>(rows.unsignedInteger(row, 0)),
            AgencyProgress {rows.unsignedInteger(row, 1), rows.unsignedInteger(row, 2),
                rows.boolean(row, 3), digestOfHex(rows.text(row, 4)).value_or(protocol::Digest {}),
                rows.boolean(row, 5)});
    }
    return progress;
}

std::vector<StoreAnswer> PostgresBetStore::apply(std::vector<StoreRequest> requests)
{
    std::vector<StoreAnswer> answers(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const StoreRequest &request = requests[i];
        if (request.done)
            answers[i].done = recordDone(request.agency);
        else
            answers[i].batches = appendBatches(request.agency, request.batches);
    }
    return answers;
}

std::vector<BatchDecision> PostgresBetStore::appendBatches(
    quint32 agency, const std::vector<BatchToStore> &batches)
{
    std::vector<BatchDecision> decisions(batches.size());
    const auto finish = [&] { return decisions; };
    const auto refuseAll = [&](Kind kind, const QString &error) {
        for (BatchDecision &decision : decisions) {
            decision.kind = kind;
            decision.error = error;
        }
        return finish();
    };
    bool stopping = false;
    {
        QMutexLocker locker(&m_mutex);
        stopping = m_stopping;
    }
    if (stopping)
        return refuseAll(Kind::Stopped, stoppingRefusal());
    // A connection lost before COMMIT rolled the transaction back: nothing of it happened, so
    // the whole call is tried again (on a new connection) for a while, holding the batches
    // instead of refusing them. A COMMIT whose connection was lost is never retried here.
    const QDeadlineTimer hold(kHoldOnLostConnectionMs);
    int delayMs = 100;
    while (true) {
        bool lostBeforeCommit = false;
        appendOnce(agency, batches, decisions, &lostBeforeCommit);
        if (!lostBeforeCommit || hold.hasExpired())
            break;
        {
            QMutexLocker locker(&m_mutex);
            if (m_stopping)
                break;
        }
        LOTTERY_LOG_PROGRESS("almacenamiento")
            .field(u"agency", agency)
            .field(u"error", decisions.front().error)
            .field(u"retry_ms", delayMs);
        QThread::msleep(static_cast<unsigned long>(delayMs)); // backoff before reconnecting
        delayMs = qMin(delayMs * 2, 2000);
        for (BatchDecision &decision : decisions)
            decision = BatchDecision();
    }
    return finish();
}

void PostgresBetStore::appendOnce(quint32 agency, const std::vector<BatchToStore> &batches,
    std::vector<BatchDecision> &decisions, bool *lostBeforeCommit)
{
    QString error;
    PostgresConnection *db = nullptr;
    const auto refuseAll = [&](Kind kind, const QString &why) {
        for (BatchDecision &decision : decisions) {
            decision.kind = kind;
            decision.error = why;
        }
        *lostBeforeCommit = !db || db->isLost();
    };
    db = connection(&error);
    if (!db)
        return refuseAll(Kind::Failed, error);
    const std::string agencyText = std::to_string(agency);

    // The close lock (shared, in the same statement, before anything is read: a close in
    // progress is waited for), then the agency's row, locked until COMMIT: every decision below
    // is taken on it, and no other transaction (of this instance or another) can change it
    // meanwhile. The row's read is a later statement, so it sees a close committed before.
    if (!db->command("BEGIN")
        || !db->command("INSERT INTO agencies (agency) SELECT $1"
                        " FROM (SELECT pg_advisory_xact_lock_shared($2)) l ON CONFLICT DO NOTHING",
            {agencyText, closeLockText()})) {
        db->rollback();
        return refuseAll(Kind::Failed, db->lastError());
    }
    PgResult row = db->query("SELECT last_sequence, stored_bets, done, encode(digest_state, 'hex'),"
                             " EXISTS (SELECT 1 FROM sales_close) FROM agencies"
                             " WHERE agency = $1 FOR UPDATE OF agencies",
        {agencyText});
    if (!row.ok() || row.rows() != 1) {
        db->rollback();
        return refuseAll(Kind::Failed, db->lastError());
    }
    quint64 lastSequence = row.unsignedInteger(0, 0);
    quint64 storedBets = row.unsignedInteger(0, 1);
    const bool done = row.boolean(0, 2);
    const bool salesClosed = row.boolean(0, 4);
    RunningDigest digest;
    if (!digest.restoreState(bytesOfHex(row.text(0, 3)), storedBets)) {
        db->rollback();
        return refuseAll(Kind::Failed,
            QStringLiteral("agency %1's digest state in the database is damaged").arg(agency));
    }

    // The fingerprints (and receipts) of the stored sequences this call resends, in one query.
    QHash<quint64, BatchPrint> prints;
    QHash<quint64, std::pair<quint64, protocol::Digest>> receipts;
    ArrayLiteral resent(64);
    for (const BatchToStore &batch : batches) {
        if (batch.sequence != 0 && batch.sequence <= lastSequence)
            resent.addNumber(batch.sequence);
    }
    if (resent.size() > 0 && !done) {
        PgResult stored = db->query("SELECT sequence, bet_count, crc, stored_bets,"
                                    " encode(digest, 'hex') FROM batches"
                                    " WHERE agency = $1 AND sequence = ANY ($2::bigint[])",
            {agencyText, std::string(resent.finish())});
        if (!stored.ok()) {
            db->rollback();
            return refuseAll(Kind::Failed, db->lastError());
        }
        for (int i = 0; i < stored.rows(); ++i) {
            const quint64 sequence = stored.unsignedInteger(i, 0);
            prints.insert(sequence,
                BatchPrint {static_cast<quint32>(stored.unsignedInteger(i, 1)),
                    static_cast<quint32>(stored.unsignedInteger(i, 2))});
            receipts.insert(sequence,
                {stored.unsignedInteger(i, 3),
                    digestOfHex(stored.text(i, 4)).value_or(protocol::Digest {})});
        }
    }

    std::vector<std::size_t> toStore;
    for (std::size_t i = 0; i < batches.size(); ++i) {
        const BatchToStore &batch = batches[i];
        BatchDecision &decision = decisions[i];
        const quint64 next = lastSequence + 1;
        std::optional<BatchPrint> print;
        if (const auto found = prints.constFind(batch.sequence); found != prints.constEnd())
            print = *found;
        decision = decideBatch(agency, batch, next, done, print, salesClosed);
        if (decision.kind == Kind::Duplicate) {
            // The first acknowledgement's receipt, as stored with the batch.
            const auto receipt = receipts.value(batch.sequence);
            decision.storedBets = receipt.first;
            decision.digest = receipt.second;
        }
        if (decision.kind == Kind::Stored) { // acknowledged once COMMIT has returned
            lastSequence = batch.sequence;
            storedBets += batch.betCount;
            prints.insert(batch.sequence, BatchPrint {batch.betCount, batch.crc});
            // Hashed as the bets came on the wire: the bytes the agency hashed itself.
            if (!batch.wireBets.empty()) {
                digest.addEncodedBets(batch.wireBets);
                digest.countBets(batch.betCount);
            } else { // a caller without the frame's bytes (tests, tools): encoded here
                for (const protocol::BetView &bet : batch.bets)
                    digest.addBet(bet);
            }
            decision.storedBets = storedBets;
            decision.digest = digest.current();
            receipts.insert(batch.sequence, {decision.storedBets, decision.digest});
            toStore.push_back(i);
        }
    }

    if (toStore.empty()) {
        // Nothing written: the decisions stand on committed rows.
        db->rollback();
        return;
    }

    // The batches rows in one statement, then each batch's bets in one statement.
    ArrayLiteral sequences(toStore.size() * 8);
    ArrayLiteral counts(toStore.size() * 6);
    ArrayLiteral crcs(toStore.size() * 11);
    ArrayLiteral receiptBets(toStore.size() * 8);
    ArrayLiteral receiptDigests(toStore.size() * 67);
    quint64 bytes = 0;
    quint64 bets = 0;
    for (std::size_t i : toStore) {
        sequences.addNumber(batches[i].sequence);
        counts.addNumber(batches[i].betCount);
        crcs.addNumber(batches[i].crc);
        receiptBets.addNumber(decisions[i].storedBets);
        receiptDigests.add(hexOf(decisions[i].digest));
        bytes += batches[i].csvRows.size();
        bets += batches[i].betCount;
    }
    bool ok = db->command("INSERT INTO batches (agency, sequence, bet_count, crc, stored_bets,"
                          " digest) SELECT $1, s, c, x, r, decode(d, 'hex')"
                          " FROM unnest($2::bigint[], $3::integer[], $4::bigint[], $5::bigint[],"
                          " $6::text[]) AS u(s, c, x, r, d)",
        {agencyText, std::string(sequences.finish()), std::string(counts.finish()),
            std::string(crcs.finish()), std::string(receiptBets.finish()),
            std::string(receiptDigests.finish())});
    if (m_betsInsert == BetsInsert::Copy)
        ok = ok && copyBets(*db, agency, batches, toStore);
    for (std::size_t k = 0; ok && m_betsInsert == BetsInsert::Unnest && k < toStore.size(); ++k)
        ok = insertBets(*db, agencyText, batches[toStore[k]]);
    ok = ok
        && db->command("UPDATE agencies SET last_sequence = $2, stored_bets = $3,"
                       " digest_state = decode($4, 'hex'), digest = decode($5, 'hex')"
                       " WHERE agency = $1",
            {agencyText, std::to_string(lastSequence), std::to_string(storedBets),
                hexOf(digest.saveState()), hexOf(digest.current())});
    if (!ok) {
        const QString why = db->lastError();
        *lostBeforeCommit = db->isLost();
        db->rollback();
        failStored(decisions, why);
        return;
    }
    if (const QString unknown = commitOrUnknown(*db); !unknown.isEmpty()) {
        // Never acknowledged: the agency resends; the batches row then says duplicate, or its
        // absence lets it store.
        failStored(decisions, unknown + QStringLiteral(", nothing is acknowledged"));
        return;
    }
    {
        QMutexLocker locker(&m_mutex);
        m_stats.batches += toStore.size();
        m_stats.bets += bets;
        m_stats.bytes += bytes;
        ++m_stats.commits;
    }
}

// One batch's bets in one statement, with array parameters.
bool PostgresBetStore::insertBets(
    PostgresConnection &db, const std::string &agencyText, const BatchToStore &batch)
{
    const std::size_t reserve = batch.csvRows.size() + 8 * batch.bets.size() + 16;
    ArrayLiteral firstNames(reserve);
    ArrayLiteral lastNames(reserve);
    ArrayLiteral documents(reserve);
    ArrayLiteral birthdates(batch.bets.size() * 13);
    ArrayLiteral numbers(batch.bets.size() * 5);
    for (const protocol::BetView &bet : batch.bets) {
        firstNames.add(bet.firstName);
        lastNames.add(bet.lastName);
        documents.add(bet.document);
        birthdates.add(bet.birthdate);
        numbers.addNumber(bet.number);
    }
    return db.command(
        "INSERT INTO bets (agency, sequence, ordinal, first_name, last_name, document,"
        " birthdate, number)"
        " SELECT $1, $2, o, f, l, d, b, n FROM unnest($3::text[], $4::text[],"
        " $5::text[], $6::date[], $7::integer[]) WITH ORDINALITY AS u(f, l, d, b, n, o)",
        {agencyText, std::to_string(batch.sequence), std::string(firstNames.finish()),
            std::string(lastNames.finish()), std::string(documents.finish()),
            std::string(birthdates.finish()), std::string(numbers.finish())});
}

void PostgresBetStore::appendCopyRow(std::string &out, std::string_view agencyAndSequence,
    std::size_t ordinal, const protocol::BetView &bet)
{
    out += agencyAndSequence;
    out += std::to_string(ordinal);
    out += '\t';
    appendCopyField(out, bet.firstName);
    out += '\t';
    appendCopyField(out, bet.lastName);
    out += '\t';
    appendCopyField(out, bet.document);
    out += '\t';
    appendCopyField(out, bet.birthdate);
    out += '\t';
    out += std::to_string(bet.number);
    out += '\n';
}

// Every stored batch's bets of one append() in one COPY (text format), inside its transaction.
bool PostgresBetStore::copyBets(PostgresConnection &db, quint32 agency,
    const std::vector<BatchToStore> &batches, const std::vector<std::size_t> &toStore)
{
    std::size_t bytes = 0;
    for (std::size_t i : toStore)
        bytes += batches[i].csvRows.size() + batches[i].bets.size() * 24;
    std::string rows;
    rows.reserve(bytes);
    const std::string prefix = std::to_string(agency) + '\t';
    for (std::size_t i : toStore) {
        const BatchToStore &batch = batches[i];
        const std::string batchPrefix = prefix + std::to_string(batch.sequence) + '\t';
        std::size_t ordinal = 0;
        for (const protocol::BetView &bet : batch.bets)
            appendCopyRow(rows, batchPrefix, ++ordinal, bet);
    }
    return db.copyIn(kCopyBetsStatement, rows);
}

template<typename Once>
void PostgresBetStore::retryOnLostConnection(QStringView action, QDeadlineTimer deadline, Once once)
{
    const QDeadlineTimer hold = qMin(deadline, QDeadlineTimer(kHoldOnLostConnectionMs));
    int delayMs = 100;
    while (true) {
        const std::optional<QString> lostWith = once();
        if (!lostWith || hold.remainingTime() < delayMs)
            return;
        {
            QMutexLocker locker(&m_mutex);
            if (m_stopping)
                return;
        }
        LogLine(LogLevel::Info, action, LogResult::InProgress)
            .field(u"error", *lostWith)
            .field(u"retry_ms", delayMs);
        QThread::msleep(static_cast<unsigned long>(delayMs)); // backoff before reconnecting
        delayMs = qMin(delayMs * 2, 2000);
    }
}

QString PostgresBetStore::stoppingRefusal()
{
    return QStringLiteral("storage is shutting down");
}

std::optional<QString> PostgresBetStore::rollBackFailed(PostgresConnection &db, QString *error)
{
    *error = db.lastError();
    db.rollback();
    return lost(&db) ? std::optional<QString>(*error) : std::nullopt;
}

bool PostgresBetStore::lost(const PostgresConnection *db)
{
    return !db || db->isLost();
}

DoneDecision PostgresBetStore::recordDone(quint32 agency)
{
    DoneDecision decision;
    {
        QMutexLocker locker(&m_mutex);
        if (m_stopping) {
            decision.error = stoppingRefusal();
            return decision;
        }
    }
    // Safe to repeat: a DONE already recorded is found (firstTime false), and a close already
    // recorded too.
    retryOnLostConnection(
        u"agencia_finalizada", QDeadlineTimer::Forever, [&]() -> std::optional<QString> {
            decision = DoneDecision();
            PostgresConnection *db = connection(&decision.error);
            if (!db)
                return decision.error;
            const std::string agencyText = std::to_string(agency);
            const auto fail = [&] { return rollBackFailed(*db, &decision.error); };
            // The close lock first (shared), as append() takes it: then the agency's row.
            if (!db->command("BEGIN")
                || !db->command("INSERT INTO agencies (agency) SELECT $1"
                                " FROM (SELECT pg_advisory_xact_lock_shared($2)) l"
                                " ON CONFLICT DO NOTHING",
                    {agencyText, closeLockText()}))
                return fail();
            PgResult row = db->query("SELECT done, EXISTS (SELECT 1 FROM sales_close) FROM agencies"
                                     " WHERE agency = $1 FOR UPDATE OF agencies",
                {agencyText});
            if (!row.ok() || row.rows() != 1)
                return fail();
            const bool wasDone = row.boolean(0, 0);
            if (row.boolean(0, 1)) {
                // After the close a DONE changes nothing (the sealed set is final); the draw is
                // due.
                db->rollback();
                decision.ok = true;
                decision.allDone = true;
                return std::nullopt;
            }
            if (!wasDone
                && !db->command("UPDATE agencies SET done = true WHERE agency = $1", {agencyText}))
                return fail();
            // Every DONE transaction takes this lock before it counts: of two concurrent last
            // DONEs, the second counts after the first has committed (READ COMMITTED: a new
            // snapshot per statement), so one of them always sees everyone done. The close's
            // single-row key makes recording it exactly-once whatever happens.
            if (!db->command("SELECT pg_advisory_xact_lock($1)", {std::to_string(kDrawLockKey)}))
                return fail();
            // Against the database's identity, not this instance's setting: every instance decides
            // the draw over the same agencies.
            PgResult count = db->query("SELECT (SELECT count(*) FROM agencies WHERE done"
                                       " AND agency BETWEEN 1 AND l.agencies), l.agencies"
                                       " FROM lottery l WHERE l.id = 1");
            if (!count.ok() || count.rows() != 1)
                return fail();
            const quint64 expected = count.unsignedInteger(0, 1);
            const bool allDone = count.unsignedInteger(0, 0) >= expected;
            bool recorded = false;
            std::optional<SalesClose> close;
            if (allDone) {
                // The last DONE closes the sales in its own transaction: the close is implied by
                // it.
                close = sealNow(*db, protocol::CloseReason::AllAgenciesDone,
                    QDateTime::currentMSecsSinceEpoch());
                if (!close || !recordClose(*db, *close, &recorded))
                    return fail();
            }
            if (decision.error = commitOrUnknown(*db); !decision.error.isEmpty())
                return lost(db) ? std::optional<QString>(decision.error) : std::nullopt;
            {
                QMutexLocker locker(&m_mutex);
                ++m_stats.commits;
            }
            if (recorded) {
                LOTTERY_LOG_SUCCESS("sorteo_registrado")
                    .field(u"store", describe())
                    .field(u"agencies", expected);
                decision.closedNow = close;
            }
            decision.ok = true;
            decision.firstTime = !wasDone;
            decision.allDone = allDone;
            return std::nullopt;
        });
    return decision;
}

CloseDecision PostgresBetStore::closeSales(protocol::CloseReason reason, qint64 atMs)
{
    CloseDecision decision;
    {
        QMutexLocker locker(&m_mutex);
        if (m_stopping) {
            decision.error = stoppingRefusal();
            return decision;
        }
    }
    // Safe to repeat: a close already recorded (by this try, another instance or the last
    // DONE) is found and answered.
    retryOnLostConnection(
        u"cierre_ventas", QDeadlineTimer::Forever, [&]() -> std::optional<QString> {
            decision = CloseDecision();
            PostgresConnection *db = connection(&decision.error);
            if (!db)
                return decision.error;
            const auto fail = [&] { return rollBackFailed(*db, &decision.error); };
            // Exclusively: every batch or DONE transaction in flight (on any instance) commits
            // first and is in the seal; every later one waits, then reads the close and is refused.
            if (!db->command("BEGIN")
                || !db->command("SELECT pg_advisory_xact_lock($1)", {closeLockText()}))
                return fail();
            const std::optional<std::optional<SalesClose>> existing = readClose(*db);
            if (!existing)
                return fail();
            if (*existing) {
                db->rollback();
                decision.ok = true;
                decision.close = **existing;
                return std::nullopt;
            }
            std::optional<SalesClose> close = sealNow(*db, reason, atMs);
            bool recorded = false;
            if (!close || !recordClose(*db, *close, &recorded))
                return fail();
            if (decision.error = commitOrUnknown(*db); !decision.error.isEmpty())
                return lost(db) ? std::optional<QString>(decision.error) : std::nullopt;
            {
                QMutexLocker locker(&m_mutex);
                ++m_stats.commits;
            }
            decision.ok = true;
            decision.firstTime = recorded;
            decision.close = std::move(*close);
            return std::nullopt;
        });
    return decision;
}

std::optional<bool> PostgresBetStore::drawRecorded(QString *error)
{
    PostgresConnection *db = connection(error);
    if (!db)
        return std::nullopt;
    PgResult row = db->query("SELECT count(*) FROM draw");
    if (!row.ok()) {
        *error = db->lastError();
        return std::nullopt;
    }
    return row.unsignedInteger(0, 0) > 0;
}

DrawResult PostgresBetStore::draw()
{
    DrawResult result;
    {
        QMutexLocker locker(&m_mutex);
        if (m_stopping) {
            result.error = stoppingRefusal();
            return result;
        }
    }
    // A read: safe to repeat after a lost connection (a database restart).
    retryOnLostConnection(u"sorteo", QDeadlineTimer::Forever, [&]() -> std::optional<QString> {
        result = DrawResult();
        PostgresConnection *db = connection(&result.error);
        if (!db)
            return result.error;
        const auto fail = [&] { return rollBackFailed(*db, &result.error); };
        // One snapshot for the reads.
        if (!db->command("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            return fail();
        const std::optional<std::optional<SalesClose>> close = readClose(*db);
        if (!close)
            return fail();
        if (!*close) {
            db->rollback();
            return std::nullopt; // sales are not closed yet
        }
        // Nothing is stored after the close: these are the winners of the sealed bets.
        PgResult winners = db->query("SELECT agency, document FROM bets WHERE number = 7574"
                                     " ORDER BY agency, sequence, ordinal");
        if (!winners.ok())
            return fail();
        db->rollback();
        for (int i = 0; i < winners.rows(); ++i) {
            result.winners[static_cast<quint32>(winners.unsignedInteger(i, 0))].emplace_back(
                winners.text(i, 1));
        }
        result.bets = (*close)->totalBets;
        result.winnerCount = static_cast<quint64>(winners.rows());
        result.close = std::move(*close);
        result.completed = true;
        return std::nullopt;
    });
    return result;
}

void PostgresBetStore::requestStop()
{
    QMutexLocker locker(&m_mutex);
    m_stopping = true;
}

void PostgresBetStore::close()
{
    QHash<QThread *, std::shared_ptr<PostgresConnection>> connections;
    {
        QMutexLocker locker(&m_connectionsMutex);
        connections.swap(m_connections);
    }
    // The pool has finished: no thread uses these any more. A thread that ends meanwhile finds
    // its entry gone.
    for (const auto &db : std::as_const(connections))
        db->closeAndRemove();
}

BetStore::Stats PostgresBetStore::stats() const
{
    QMutexLocker locker(&m_mutex);
    return m_stats;
}

bool PostgresBetStore::createAgencySwitches(PostgresConnection &db)
{
    // One row per agency the operator ever switched: its state now and when it was set.
    if (!db.command("BEGIN") || !db.command("SET LOCAL client_min_messages = warning")
        || !db.command("SELECT pg_advisory_xact_lock($1)", {std::to_string(kMigrationLockKey)})
        || !db.command("CREATE TABLE IF NOT EXISTS agency_switches ("
                       " agency bigint PRIMARY KEY CHECK (agency > 0),"
                       " disabled boolean NOT NULL,"
                       " switched_at timestamptz NOT NULL)")
        || !db.command("COMMIT")) {
        db.rollback();
        return false;
    }
    return true;
}

bool PostgresBetStore::agencyDisabled(PostgresConnection &db, quint32 agency, QString *error)
{
    PgResult row = db.query(
        "SELECT disabled FROM agency_switches WHERE agency = $1", {std::to_string(agency)});
    if (!row.ok()) {
        *error = db.lastError();
        return false;
    }
    return row.rows() > 0 && row.boolean(0, 0);
}

AgencySwitchDecision PostgresBetStore::setAgencyEnabled(quint32 agency, bool enabled, qint64 atMs)
{
    using SwitchKind = AgencySwitchDecision::Kind;
    AgencySwitchDecision decision;
    {
        QMutexLocker locker(&m_mutex);
        if (m_stopping) {
            decision.error = stoppingRefusal();
            return decision;
        }
    }
    PostgresConnection *db = connection(&decision.error);
    if (!db)
        return decision;
    const std::string agencyText = std::to_string(agency);
    const auto fail = [&] {
        decision.error = db->lastError();
        db->rollback();
        return decision;
    };
    // The close's lock (shared, taken first as batches and DONEs take it) and the draw's: a
    // switch is decided before or after the close of sales (either way) and the draw, never
    // between, so no switch is committed after them.
    if (!db->command("BEGIN")
        || !db->command("SELECT pg_advisory_xact_lock_shared($1)", {closeLockText()})
        || !db->command("SELECT pg_advisory_xact_lock($1)", {std::to_string(kDrawLockKey)}))
        return fail();
    PgResult state = db->query("SELECT l.agencies, (SELECT count(*) FROM draw)"
                               " + (SELECT count(*) FROM sales_close),"
                               " (SELECT disabled FROM agency_switches WHERE agency = $1)"
                               " FROM lottery l WHERE l.id = 1",
        {agencyText});
    if (!state.ok() || state.rows() != 1)
        return fail();
    if (agency < 1 || agency > state.unsignedInteger(0, 0)) {
        db->rollback();
        decision.kind = SwitchKind::UnknownAgency;
        decision.error = QStringLiteral("agency %1 is not one of this lottery's agencies 1..%2")
                             .arg(agency)
                             .arg(state.unsignedInteger(0, 0));
        return decision;
    }
    if (state.unsignedInteger(0, 1) > 0) {
        db->rollback();
        decision.kind = SwitchKind::AfterClose;
        decision.error = QStringLiteral("sales are closed: the draw is sealed, and disabling or "
                                        "enabling an agency cannot change it");
        return decision;
    }
    if (state.boolean(0, 2) == !enabled) {
        db->rollback();
        decision.kind = SwitchKind::Unchanged;
        return decision;
    }
    if (!db->command("INSERT INTO agency_switches (agency, disabled, switched_at)"
                     " VALUES ($1, $2, to_timestamp($3::double precision / 1000))"
                     " ON CONFLICT (agency) DO UPDATE SET disabled = EXCLUDED.disabled,"
                     " switched_at = EXCLUDED.switched_at",
            {agencyText, enabled ? "false" : "true", std::to_string(atMs)}))
        return fail();
    if (decision.error = commitOrUnknown(*db); !decision.error.isEmpty())
        return decision;
    decision.kind = SwitchKind::Switched;
    return decision;
}

QSet<quint32> PostgresBetStore::disabledAgencies() const
{
    QSet<quint32> disabled;
    QString error;
    // As durableProgress(): the per-thread connection cache is not the store's logical state.
    PostgresConnection *db = const_cast<PostgresBetStore *>(this)->connection(&error);
    PgResult rows
        = db ? db->query("SELECT agency FROM agency_switches WHERE disabled") : PgResult();
    if (!db || !rows.ok()) {
        LOTTERY_LOG_FAIL("agencias_deshabilitadas").field(u"error", db ? db->lastError() : error);
        return disabled;
    }
    for (int row = 0; row < rows.rows(); ++row)
        disabled.insert(static_cast<quint32>(rows.unsignedInteger(row, 0)));
    return disabled;
}

bool PostgresBetStore::readStoredBets(quint32 agency, quint64 from, quint32 count,
    std::vector<protocol::Bet> *bets, QString *error) const
{
    // The per-thread connection cache is not the store's logical state (as durableProgress()).
    PostgresConnection *db = const_cast<PostgresBetStore *>(this)->connection(error);
    if (!db)
        return false;
    const std::string agencyText = std::to_string(agency);
    // The agency's count; the batch holding bet `from` (the first whose receipt, its
    // stored_bets, the agency's count after it, passes `from`) and the one holding the last bet
    // asked for. Batches are only ever added: what is read is stored for good.
    PgResult start = db->query(
        "SELECT a.stored_bets, b.sequence, b.stored_bets - b.bet_count, e.sequence"
        " FROM agencies a"
        " LEFT JOIN LATERAL (SELECT sequence, stored_bets, bet_count FROM batches"
        " WHERE agency = a.agency AND stored_bets > $2 ORDER BY sequence LIMIT 1) b ON true"
        " LEFT JOIN LATERAL (SELECT sequence FROM batches"
        " WHERE agency = a.agency AND stored_bets >= $3 ORDER BY sequence LIMIT 1) e ON true"
        " WHERE a.agency = $1",
        {agencyText, std::to_string(from), std::to_string(from + count)});
    if (!start.ok()) {
        *error = db->lastError();
        return false;
    }
    const quint64 stored = start.rows() == 0 ? 0 : start.unsignedInteger(0, 0);
    if (*error = storedRangeError(agency, stored, from, count); !error->isEmpty())
        return false;
    const quint64 sequence = start.unsignedInteger(0, 1);
    const quint64 firstOfBatch = start.unsignedInteger(0, 2);
    const quint64 lastSequence = start.unsignedInteger(0, 3);
    // Ordinals count from 1 within a batch.
    const quint64 ordinal = from - firstOfBatch + 1;
    // Block ranges filled since the last summary would all be read: summarize them first (the
    // first listing after a large upload pays for it once).
    if (!db->query("SELECT brin_summarize_new_values('bets_by_sequence')").ok()) {
        *error = db->lastError();
        return false;
    }
    PgResult rows = db->query("SELECT first_name, last_name, document,"
                              " to_char(birthdate, 'YYYY-MM-DD'), number FROM bets"
                              " WHERE agency = $1 AND sequence BETWEEN $2 AND $5"
                              " AND (sequence, ordinal) >= ($2, $3)"
                              " ORDER BY sequence, ordinal LIMIT $4",
        {agencyText, std::to_string(sequence), std::to_string(ordinal), std::to_string(count),
            std::to_string(lastSequence)});
    if (!rows.ok()) {
        *error = db->lastError();
        return false;
    }
    if (rows.rows() != static_cast<int>(count)) {
        *error = QStringLiteral("agency %1: %2 of the %3 stored bets from %4 read back")
                     .arg(agency)
                     .arg(rows.rows())
                     .arg(count)
                     .arg(from);
        return false;
    }
    bets->clear();
    bets->reserve(count);
    for (int row = 0; row < rows.rows(); ++row) {
        bets->push_back(protocol::Bet {rows.text(row, 0), rows.text(row, 1), rows.text(row, 2),
            rows.text(row, 3), static_cast<std::uint16_t>(rows.integer(row, 4))});
    }
    return true;
}

} // namespace lottery::server
