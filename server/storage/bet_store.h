// The store seam: the one owner of every agency's durable state (which batches are stored, how
// many bets, DONE, the draw). Every decision about a batch (stored, duplicate, conflicting resend,
// gap, after DONE, storage failure) is taken inside the store, atomically with making it durable,
// so no caller can act on a stale copy of an agency's progress.
//
// Implementations: FileBetStore (bets.csv + journal with group commit, the embedded default) and
// PostgresBetStore (several server instances on one database). Both run the same contract suite
// (tests/tst_store_contract.cpp).
//
// Threads: open() and close() in the owner's thread; every other function from any thread (the
// pool workers), concurrently. Functions marked "blocking" may wait on I/O or on other writers and
// must not run on the main thread.
#pragma once

#include "lottery/protocol/bet.h"
#include "lottery/protocol/errors.h"
#include "lottery/protocol/messages.h"

#include <QDeadlineTimer>
#include <QHash>
#include <QSet>
#include <QString>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lottery::server {

// An agency's durable progress, as WELCOME reports it.
struct AgencyProgress {
    quint64 lastSequence = 0; // highest batch sequence durably stored (0: none)
    quint64 storedBets = 0; // bets durably stored
    bool done = false; // DONE durably recorded
    // Running digest of those storedBets bets (common/bet_digest.h), when the store keeps one
    // (BetStore::keepsDigests()); all zero otherwise.
    protocol::Digest digest {};
    bool salesClosed = false; // no BATCH is stored any more
    // The operator disabled the agency (BetStore::setAgencyEnabled): the server refuses its
    // HELLO with agency_disabled instead of WELCOME. Read with the rest, so that every instance
    // on a shared database sees the switch at the agency's next HELLO.
    bool disabled = false;
};

// The operator's switch of one agency (disable / enable), recorded durably before the close.
struct AgencySwitchDecision {
    enum class Kind {
        Switched, // recorded now
        Unchanged, // the agency already was in that state: nothing written
        AfterClose, // sales are closed: the switch could not change the draw, refused
        UnknownAgency, // not one of the lottery's agencies 1..N
        Failed, // could not be made durable (error)
    };
    Kind kind = Kind::Failed;
    QString error; // AfterClose, UnknownAgency, Failed: why
};

// One agency's part of the seal: its sealed bets and their running digest.
struct AgencyHead {
    quint64 bets = 0;
    protocol::Digest digest {};
};

// The close of sales, recorded durably in one step with its seal (docs/AUDIT.md): the draw runs
// over exactly the bets stored before it, of every agency, done or not.
struct SalesClose {
    qint64 closedAtMs = 0; // milliseconds since the Unix epoch, UTC
    protocol::CloseReason reason = protocol::CloseReason::AllAgenciesDone;
    quint32 agenciesDone = 0; // agencies that had said DONE
    quint64 totalBets = 0;
    protocol::Digest root {}; // sealRoot() over `heads`
    QHash<quint32, AgencyHead> heads; // agencies 1..N, those with no bets included
};

struct CloseDecision {
    bool ok = false; // sales are closed (now or before)
    bool firstTime = false; // this call closed them
    SalesClose close;
    QString error; // !ok: why
};

using WinnersByAgency = QHash<quint32, std::vector<std::string>>;

// One batch that passed the bet rules, ready to store. Views point into the worker task's
// buffers, which outlive the append() call.
struct BatchToStore {
    quint64 sequence = 0;
    quint32 betCount = 0;
    // CRC-32 of `csvRows`: with betCount, the batch's fingerprint. A resend of a stored sequence
    // is a duplicate only when both match; otherwise it is a conflicting resend.
    quint32 crc = 0;
    std::string_view csvRows; // its rows exactly as they go into bets.csv (see docs/PROTOCOL.md)
    std::string_view wireBets; // its bets as they came on the wire, back to back (the digest's)
    std::vector<protocol::BetView> bets; // the same bets field by field, in order
    std::vector<std::string> winners; // documents of its winning bets, in order
};

// What the store decided for one batch.
struct BatchDecision {
    enum class Kind {
        Stored, // durable now: ACK(duplicate = 0)
        Duplicate, // the same batch (sequence, count, CRC) was already stored: ACK(duplicate = 1)
        Conflict, // the sequence is stored with another count or CRC: REJECT(SequenceConflict)
        ZeroSequence, // sequence 0 is never valid: REJECT(SequenceGap)
        Gap, // sequence beyond lastSequence + 1: REJECT(SequenceGap)
        AfterDone, // the agency already sent DONE: REJECT(BatchAfterDone)
        AfterClose, // sales are closed: REJECT(SalesClosed), version 1: REJECT(BatchAfterDone)
        Failed, // could not be made durable: REJECT(StorageFailure), nothing acknowledged
        Stopped, // the store is stopping: not acknowledged, the agency resends later
    };
    Kind kind = Kind::Failed;
    quint64 expectedSequence = 0; // Gap, Conflict: the next sequence the store expects
    // Stored, Duplicate, in a store that keeps digests: the agency's stored bets up to and
    // including this batch, and their running digest (the receipt of protocol version 2).
    quint64 storedBets = 0;
    protocol::Digest digest {};
    QString error; // everything but Stored and Duplicate: why, for the peer and the log
};

struct DoneDecision {
    bool ok = false; // DONE is durable (now or before)
    bool firstTime = false; // this call recorded it
    bool allDone = false; // every expected agency has now said DONE: the draw can be read
    QString error; // !ok: why
    // This DONE was the last expected one and closed the sales, in the same durable write.
    std::optional<SalesClose> closedNow;
};

struct DrawResult {
    bool completed = false; // false: not every agency is done yet (or error is set)
    WinnersByAgency winners; // documents of the winning bets per agency, in storage order
    quint64 bets = 0; // bets the draw looked at
    quint64 winnerCount = 0;
    QString error;
    // The close of sales the draw ran after (stores that keep digests): what SEALED carries.
    std::optional<SalesClose> close;
};

struct StoreRequest;
struct StoreAnswer;

class BetStore
{
public:
    virtual ~BetStore() = default;

    // Opens (creating or migrating as needed) and recovers. False with errorString() on failure.
    virtual bool open() = 0;
    virtual QString errorString() const = 0;
    // Short human name for logs and /metrics, e.g. "file:/var/lib/loteria/bets.csv".
    virtual QString describe() const = 0;
    // The store keeps every agency's running digest: welcome() and the batch decisions carry it,
    // so the server may speak protocol version 2 (receipts). False: version 1 only.
    virtual bool keepsDigests() const { return false; }

    // Blocking. The agency's durable progress: what every write of the agency that returned
    // before this call decided. The caller orders an agency's calls (the server's
    // AgencyRequestQueue: a welcome starts only once the agency's write before it has
    // returned); on a shared database, another instance's write in flight holds the agency's
    // row, and this waits for it. nullopt (with *error) if the store failed, stopped, or
    // `deadline` passed first.
    virtual std::optional<AgencyProgress> welcome(
        quint32 agency, QDeadlineTimer deadline, QString *error)
        = 0;

    // Blocking. The one write call: several agencies' requests (consecutive batches of one
    // agency, or its DONE), decided in order, each batch against the state the requests before
    // it left, with as few commits as the store can make: the server hands the pool one job for
    // the requests of many sessions, so that with thousands of agencies connected the commits,
    // wake-ups and system calls per bet do not grow with them. One answer per request, in
    // order; a batch or DONE answered as stored is durable when this returns.
    virtual std::vector<StoreAnswer> apply(std::vector<StoreRequest> requests) = 0;
    // apply() makes one commit for all its requests (worth gathering many into one call).
    virtual bool combinesRequests() const { return false; }
    // apply() of one agency's consecutive batches; one decision per batch.
    std::vector<BatchDecision> append(quint32 agency, const std::vector<BatchToStore> &batches);
    // apply() of one agency's DONE: records it durably (idempotent).
    DoneDecision markDone(quint32 agency);

    // Blocking. Every agency's durable progress (agencies with nothing stored may be absent):
    // the operator's counts at start, after a restart.
    virtual QHash<quint32, AgencyProgress> durableProgress() const = 0;

    // Blocking. Closes the sales at `atMs` for `reason` and seals what is stored, in one durable
    // step; idempotent (a second call answers the first close). After it no batch is stored and
    // draw() completes. Stores that keep no digests cannot seal: they refuse.
    virtual CloseDecision closeSales(protocol::CloseReason reason, qint64 atMs)
    {
        Q_UNUSED(reason);
        Q_UNUSED(atMs);
        CloseDecision decision;
        decision.error = QStringLiteral("this store cannot close sales (it keeps no digests)");
        return decision;
    }

    // Blocking. Disables (enabled = false) or enables `agency` at `atMs` (ms since the epoch,
    // UTC), durably, before the close of sales: a disabled agency's HELLO is refused (welcome()
    // reports `disabled`), its stored bets stay and are sealed with the others at the close.
    // Refused after the close. Stores that cannot record it refuse it.
    virtual AgencySwitchDecision setAgencyEnabled(quint32 agency, bool enabled, qint64 atMs)
    {
        Q_UNUSED(agency);
        Q_UNUSED(enabled);
        Q_UNUSED(atMs);
        AgencySwitchDecision decision;
        decision.error = QStringLiteral("this store cannot disable agencies");
        return decision;
    }
    // Blocking. The agencies disabled now (the operator's console and /api/status at start).
    virtual QSet<quint32> disabledAgencies() const { return {}; }
    // The store implements readStoredBets(). False: a LIST_STORED is refused as unexpected (a
    // version-2 agency then cannot resume by content, and says so), never retried elsewhere.
    virtual bool listsStoredBets() const { return false; }
    // Blocking. The agency's stored bets [from, from + count), in storage order, as they were
    // stored (what LIST_STORED answers, protocol version 2). False with *error when the agency
    // has fewer stored bets, or they cannot be read. Only stores that keep digests speak
    // version 2; the others refuse.
    // readStoredBets()'s refusal of [from, from + count) for an agency with `stored` bets, or
    // empty when the range is stored (one text for every store).
    static QString storedRangeError(quint32 agency, quint64 stored, quint64 from, quint32 count)
    {
        if (count > 0 && from < stored && count <= stored - from)
            return {};
        return QStringLiteral("agency %1 has %2 stored bets: bets %3..%4 are not stored")
            .arg(agency)
            .arg(stored)
            .arg(from)
            .arg(from + count - 1);
    }
    virtual bool readStoredBets(quint32 agency, quint64 from, quint32 count,
        std::vector<protocol::Bet> *bets, QString *error) const
    {
        Q_UNUSED(agency);
        Q_UNUSED(from);
        Q_UNUSED(count);
        Q_UNUSED(bets);
        *error = QStringLiteral("this store cannot list stored bets (it keeps no digests)");
        return false;
    }

    // Blocking. The draw's winners from the durable state, once every expected agency is done.
    virtual DrawResult draw() = 0;

    // True once a storage failure has latched the store: it acknowledges nothing more.
    virtual bool hasFailed() const = 0;
    // Wakes waiters; later calls fail fast with Stopped. Any thread.
    virtual void requestStop() = 0;
    // Owner's thread, after the pool has finished.
    virtual void close() = 0;

    struct Stats {
        quint64 batches = 0; // batches stored by this process
        quint64 bets = 0;
        quint64 bytes = 0; // bytes of stored rows
        quint64 commits = 0; // durable commits (group commits / transactions)
        quint64 syncs = 0; // sync calls to the device made by those commits (0: not ours to make)
    };
    virtual Stats stats() const = 0;
};

// One request of a store job: an agency's consecutive batches, or its DONE.
struct StoreRequest {
    quint32 agency = 0;
    bool done = false; // DONE instead of batches
    std::vector<BatchToStore> batches;
};

struct StoreAnswer {
    std::vector<BatchDecision> batches; // one per batch of the request
    DoneDecision done; // a DONE request's
};

inline std::vector<BatchDecision> BetStore::append(
    quint32 agency, const std::vector<BatchToStore> &batches)
{
    std::vector<StoreRequest> requests(1);
    requests[0].agency = agency;
    requests[0].batches = batches;
    return std::move(apply(std::move(requests)).front().batches);
}

inline DoneDecision BetStore::markDone(quint32 agency)
{
    std::vector<StoreRequest> requests(1);
    requests[0].agency = agency;
    requests[0].done = true;
    return apply(std::move(requests)).front().done;
}

} // namespace lottery::server
