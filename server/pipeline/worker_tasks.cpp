#include "server/pipeline/worker_tasks.h"

#include <QElapsedTimer>

#include "common/stored_bet_row.h"

#include <QDate>

#include <algorithm>
#include <zlib.h>

namespace lottery::server {

protocol::CivilDate currentCivilDate()
{
    const QDate today = QDate::currentDate();
    return protocol::CivilDate {today.year(), today.month(), today.day()};
}

protocol::CivilDate latestBirthdate()
{
    const QDate limit = QDate::currentDate().addDays(kBirthdateDaysAhead);
    return protocol::CivilDate {limit.year(), limit.month(), limit.day()};
}

namespace {

protocol::Reject makeReject(quint64 sequence, protocol::ErrorCode code, const std::string &reason,
    quint16 betIndex = protocol::kNoBetIndex)
{
    protocol::Reject reject;
    reject.sequence = sequence;
    reject.code = code;
    reject.betIndex = betIndex;
    reject.reason = reason;
    return reject;
}

quint32 crc32Of(std::string_view bytes)
{
    return static_cast<quint32>(::crc32(
        0L, reinterpret_cast<const Bytef *>(bytes.data()), static_cast<uInt>(bytes.size())));
}

// One BATCH body decoded, validated and already in its bets.csv form.
struct PreparedBatch {
    quint64 sequence = 0;
    quint32 betCount = 0;
    quint32 crc = 0; // of its rows
    std::size_t csvOffset = 0; // where its rows start in the task's CSV buffer
    std::size_t csvLength = 0;
    std::string_view wireBets; // the body's bets, as the agency encoded them
    std::vector<protocol::BetView> bets; // views into the body
    std::vector<std::string> winners; // documents of its winning bets
};

// The rows of a task's batches, back to back. Grows by doubling and writes rows in place: no
// per-row resize (which zero-fills) or append.
class CsvBuffer
{
public:
    explicit CsvBuffer(std::size_t capacity) { m_bytes.resize(capacity); }

    std::size_t size() const { return m_used; }
    void truncate(std::size_t size) { m_used = size; }
    std::string_view view(std::size_t offset, std::size_t length) const
    {
        return std::string_view(m_bytes).substr(offset, length);
    }

    void append(const StoredBetRow &row)
    {
        if (m_bytes.size() - m_used < row.size())
            m_bytes.resize(std::max(m_bytes.size() * 2, m_used + row.size()));
        row.writeTo(m_bytes.data() + m_used);
        m_used += row.size();
    }

private:
    std::string m_bytes;
    std::size_t m_used = 0;
};

// Decodes, validates and encodes one body in a single pass, each bet a view into the body: an
// invalid batch is refused whatever its sequence. A malformed body is reported as malformed even
// when an earlier bet of it was invalid, as a whole-frame decode would. The rows are appended to
// `csv`; on failure `csv` is left as it was and `outcome` says why (Malformed or Rejected).
std::optional<PreparedBatch> prepareBatch(std::string_view body, quint32 agency,
    const protocol::CivilDate &today, CsvBuffer &csv, BatchOutcome &outcome)
{
    protocol::BatchReader reader(body);
    const std::size_t start = csv.size();
    PreparedBatch batch;
    batch.sequence = reader.sequence();
    batch.bets.reserve(reader.count());
    std::optional<protocol::BetError> invalid;
    std::size_t invalidIndex = 0;
    std::size_t index = 0;
    protocol::BetView bet;
    for (; reader.next(bet); ++index) {
        if (invalid)
            continue; // refused already; read on only to tell a malformed body apart
        // BatchReader has checked every field's UTF-8 already.
        if (auto error = protocol::validateBet(bet, today, protocol::Utf8Check::AlreadyDone)) {
            invalid = std::move(error);
            invalidIndex = index;
            continue;
        }
        csv.append(StoredBetRow(agency, bet));
        batch.bets.push_back(bet);
        if (protocol::isWinner(bet))
            batch.winners.emplace_back(bet.document);
    }
    if (const auto error = reader.error()) {
        csv.truncate(start);
        outcome.kind = BatchOutcome::Kind::Malformed;
        outcome.decodeError = error;
        return std::nullopt;
    }
    outcome.betCount = reader.count();
    if (invalid) {
        csv.truncate(start);
        outcome.kind = BatchOutcome::Kind::Rejected;
        outcome.reject = makeReject(batch.sequence, protocol::ErrorCode::InvalidBet,
            "bet " + std::to_string(invalidIndex) + ": " + invalid->reason,
            static_cast<quint16>(invalidIndex));
        outcome.error = QString::fromStdString(outcome.reject.reason);
        return std::nullopt;
    }
    batch.betCount = reader.count();
    batch.wireBets = body.substr(protocol::kBatchHeaderSize);
    batch.csvOffset = start;
    batch.csvLength = csv.size() - start;
    batch.crc = crc32Of(csv.view(start, batch.csvLength));
    return batch;
}

void setRejected(
    BatchOutcome &outcome, quint64 sequence, protocol::ErrorCode code, const QString &reason)
{
    outcome.kind = BatchOutcome::Kind::Rejected;
    outcome.error = reason;
    outcome.reject = makeReject(sequence, code, reason.toStdString());
}

// The store's decision as the session answers it.
void answer(
    BatchOutcome &outcome, quint64 sequence, quint32 betCount, const BatchDecision &decision)
{
    using Kind = BatchDecision::Kind;
    using protocol::ErrorCode;
    const auto count = static_cast<quint16>(betCount);
    switch (decision.kind) {
    case Kind::Stored:
    case Kind::Duplicate:
        outcome.kind = BatchOutcome::Kind::Acked;
        outcome.ack = protocol::Ack {sequence, count, decision.kind == Kind::Duplicate};
        outcome.storedBets = decision.storedBets;
        outcome.digest = decision.digest;
        return;
    case Kind::Conflict:
        setRejected(outcome, sequence, ErrorCode::SequenceConflict, decision.error);
        return;
    case Kind::ZeroSequence:
    case Kind::Gap: setRejected(outcome, sequence, ErrorCode::SequenceGap, decision.error); return;
    case Kind::AfterDone:
        setRejected(outcome, sequence, ErrorCode::BatchAfterDone, decision.error);
        return;
    case Kind::AfterClose:
        // Version 2's code; LotteryServer::answerBatch gives a version-1 session BatchAfterDone.
        setRejected(outcome, sequence, ErrorCode::SalesClosed, decision.error);
        return;
    case Kind::Failed:
        setRejected(outcome, sequence, ErrorCode::StorageFailure, decision.error);
        return;
    case Kind::Stopped:
        outcome.kind = BatchOutcome::Kind::Stopped;
        outcome.error = decision.error;
        return;
    }
}

} // namespace

std::vector<StoreJobOutput> runStoreJob(
    const std::vector<WriteRequest> &inputs, const protocol::CivilDate &today, BetStore &store)
{
    std::vector<StoreJobOutput> outputs(inputs.size());
    std::vector<std::vector<std::string_view>> bodies(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i)
        bodies[i] = inputs[i].batches.views();
    std::vector<std::vector<std::optional<PreparedBatch>>> prepared(inputs.size());
    // Every batch's rows in one buffer, back to back, so that they go out in one write.
    std::size_t bodyBytes = 0;
    for (const std::vector<std::string_view> &views : bodies) {
        for (std::string_view body : views)
            bodyBytes += body.size();
    }
    CsvBuffer csv(bodyBytes + bodyBytes / 4 + 256); // a row is ~10 % longer than its wire form
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        std::vector<BatchOutcome> &outcomes = outputs[i].outcomes;
        outcomes.reserve(bodies[i].size());
        prepared[i].reserve(bodies[i].size());
        for (std::string_view body : bodies[i]) {
            outcomes.emplace_back();
            prepared[i].push_back(
                prepareBatch(body, inputs[i].agency, today, csv, outcomes.back()));
            if (outcomes.back().kind == BatchOutcome::Kind::Malformed)
                break;
        }
    }

    // Views into `csv` only now that it has stopped growing.
    std::vector<StoreRequest> requests(inputs.size());
    std::vector<std::vector<std::size_t>> index(inputs.size()); // outcome of each batch to store
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        StoreRequest &request = requests[i];
        request.agency = inputs[i].agency;
        request.done = inputs[i].done;
        for (std::size_t b = 0; b < prepared[i].size(); ++b) {
            if (!prepared[i][b])
                continue; // malformed or invalid: answered as such
            PreparedBatch &batch = *prepared[i][b];
            request.batches.push_back(BatchToStore {batch.sequence, batch.betCount, batch.crc,
                csv.view(batch.csvOffset, batch.csvLength), batch.wireBets, std::move(batch.bets),
                std::move(batch.winners)});
            index[i].push_back(b);
        }
    }
    std::vector<StoreAnswer> answers = store.apply(std::move(requests));
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].done) {
            outputs[i].done = std::move(answers[i].done);
            outputs[i].doneAttempted = true;
            continue;
        }
        for (std::size_t b = 0; b < index[i].size(); ++b) {
            const PreparedBatch &batch = *prepared[i][index[i][b]];
            answer(outputs[i].outcomes[index[i][b]], batch.sequence, batch.betCount,
                answers[i].batches[b]);
        }
    }

    // The DONEs that rode behind their batches, once those are decided: one more apply() (one
    // commit) for all of them. A DONE behind a batch that was not acknowledged is not recorded:
    // the agency would otherwise be closed with bets it still has to send.
    std::vector<StoreRequest> dones;
    std::vector<std::size_t> doneOf;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!inputs[i].batches.doneFollows)
            continue;
        const std::vector<BatchOutcome> &outcomes = outputs[i].outcomes;
        const bool allAcked = outcomes.size() == bodies[i].size()
            && std::all_of(outcomes.begin(), outcomes.end(),
                [](const BatchOutcome &o) { return o.kind == BatchOutcome::Kind::Acked; });
        if (!allAcked)
            continue;
        StoreRequest request;
        request.agency = inputs[i].agency;
        request.done = true;
        dones.push_back(std::move(request));
        doneOf.push_back(i);
    }
    if (!dones.empty()) {
        std::vector<StoreAnswer> doneAnswers = store.apply(std::move(dones));
        for (std::size_t d = 0; d < doneOf.size(); ++d) {
            outputs[doneOf[d]].done = std::move(doneAnswers[d].done);
            outputs[doneOf[d]].doneAttempted = true;
        }
    }
    // The DONE that completed the set closed the sales in its write: the draw is due now, and
    // read here, once per job, rather than in a job of its own after a trip to the main thread.
    for (StoreJobOutput &output : outputs) {
        if (output.doneAttempted && output.done.ok && output.done.firstTime
            && output.done.allDone) {
            QElapsedTimer clock;
            clock.start();
            output.draw = store.draw();
            output.drawMs = clock.elapsed();
            break;
        }
    }
    return outputs;
}

} // namespace lottery::server
