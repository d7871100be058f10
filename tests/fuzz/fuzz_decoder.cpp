// libFuzzer target for the stream decoder. For any input it checks, aborting on a violation:
//  1. decoding it in one piece and in input-derived pieces gives the same messages and the same
//     final status and error (kind, offset, detail);
//  2. StreamDecoder agrees with FrameSplitter + decodeFrame();
//  3. every decoded message re-encodes to exactly the bytes of its frame (the encoding is
//     canonical), and decode(encode(m)) == m;
//  4. for every BATCH frame the server's BatchReader (views, bet by bet) agrees with
//     decodeFrame() (same bets, or the same error), and the agency's BatchFrameEncoder re-encodes
//     a decoded batch to the same bytes as encodeFrame().
// Sanitizers (ASan + UBSan) catch over-reads and overflows along the way.
#include "lottery/protocol/bet.h"
#include "lottery/protocol/codec.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace lottery::protocol;

namespace {

struct Outcome {
    std::vector<Message> messages;
    std::vector<std::string> frames; // the raw bytes of each decoded frame (splitter path only)
    DecodeStatus status = DecodeStatus::Incomplete;
    std::optional<DecodeError> error;
    std::size_t pending = 0;
};

[[noreturn]] void fail(const char *what)
{
    std::fprintf(stderr, "fuzz_decoder: %s\n", what);
    std::abort();
}

void check(bool condition, const char *what)
{
    if (!condition)
        fail(what);
}

bool sameError(const std::optional<DecodeError> &a, const std::optional<DecodeError> &b)
{
    if (a.has_value() != b.has_value())
        return false;
    return !a || (a->kind == b->kind && a->offset == b->offset && a->detail == b->detail);
}

void drain(StreamDecoder &decoder, Outcome &outcome)
{
    Message message;
    while ((outcome.status = decoder.next(message)) == DecodeStatus::Ok)
        outcome.messages.push_back(std::move(message));
}

void finish(StreamDecoder &decoder, Outcome &outcome)
{
    if (outcome.status == DecodeStatus::Malformed)
        outcome.error = decoder.error();
    outcome.pending = decoder.pendingBytes();
}

Outcome decodeWhole(std::string_view input)
{
    StreamDecoder decoder;
    Outcome outcome;
    decoder.feed(input);
    drain(decoder, outcome);
    finish(decoder, outcome);
    return outcome;
}

// Piece sizes come from a generator seeded by the input, so a crash reproduces from the input
// alone, and the fuzzer's mutations also explore different splits.
Outcome decodeInPieces(std::string_view input)
{
    std::uint64_t state = 0xcbf29ce484222325ULL; // FNV-1a offset basis
    for (unsigned char c : input)
        state = (state ^ c) * 0x100000001b3ULL;
    if (state == 0)
        state = 1; // xorshift never leaves 0
    auto nextSize = [&state]() -> std::size_t {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // Mostly tiny pieces (they cut headers and fields), sometimes a large one.
        return (state & 7) == 0 ? std::size_t(state >> 40) % 9000 : std::size_t(state >> 40) % 6;
    };
    StreamDecoder decoder;
    Outcome outcome;
    std::size_t from = 0;
    while (from < input.size()) {
        const std::size_t size = std::min(nextSize(), input.size() - from);
        decoder.feed(input.data() + from, size); // size 0 is a legal, empty feed
        from += size;
        drain(decoder, outcome);
    }
    drain(decoder, outcome);
    finish(decoder, outcome);
    return outcome;
}

void checkBatchReader(const RawFrame &frame, const FrameDecodeResult &decoded)
{
    if (frame.type != static_cast<std::uint8_t>(MessageType::Batch))
        return;
    BatchReader reader(frame.body);
    std::vector<Bet> bets;
    BetView bet;
    while (reader.next(bet))
        bets.push_back(bet.toBet());
    check(sameError(reader.error(), decoded.error), "BatchReader and decodeFrame errors differ");
    if (decoded.error)
        return;
    const auto &batch = std::get<Batch>(*decoded.message);
    check(reader.sequence() == batch.sequence, "BatchReader read another sequence");
    check(bets == batch.bets, "BatchReader read other bets");
}

Outcome decodeWithSplitter(std::string_view input)
{
    FrameSplitter splitter;
    Outcome outcome;
    splitter.feed(input);
    RawFrame frame;
    while ((outcome.status = splitter.next(frame)) == DecodeStatus::Ok) {
        std::string bytes;
        appendU32(bytes, static_cast<std::uint32_t>(1 + frame.body.size()));
        appendU8(bytes, frame.type);
        bytes.append(frame.body.data(), frame.body.size());
        FrameDecodeResult result = decodeFrame(frame);
        check(result.message.has_value() != result.error.has_value(),
            "decodeFrame gave neither or both of message and error");
        checkBatchReader(frame, result);
        if (result.error) {
            outcome.status = DecodeStatus::Malformed;
            outcome.error = std::move(result.error);
            return outcome; // pending is not comparable here: the splitter consumed the frame
        }
        outcome.messages.push_back(std::move(*result.message));
        outcome.frames.push_back(std::move(bytes));
    }
    if (outcome.status == DecodeStatus::Malformed)
        outcome.error = splitter.error();
    outcome.pending = splitter.pendingBytes();
    return outcome;
}

void checkRoundTrip(const Message &message, const std::string &frame)
{
    const std::string encoded = encodeFrame(message);
    check(encoded == frame, "re-encoding a decoded message changed its bytes");
    check(encoded.size() <= kMaxFrameSize, "re-encoded frame is over kMaxFrameSize");
    StreamDecoder decoder;
    decoder.feed(encoded);
    Message again;
    check(decoder.next(again) == DecodeStatus::Ok, "decode(encode(m)) failed");
    check(again == message, "decode(encode(m)) != m");
    check(decoder.pendingBytes() == 0, "decode(encode(m)) left bytes behind");
    if (const auto *batch = std::get_if<Batch>(&message)) {
        BatchFrameEncoder encoder(0xFFFF);
        for (const Bet &bet : batch->bets)
            check(encoder.add(bet), "BatchFrameEncoder refused a bet of a decoded batch");
        check(encoder.finish(batch->sequence) == frame, "BatchFrameEncoder and encodeFrame differ");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char *>(data), size);

    const Outcome whole = decodeWhole(input);
    const Outcome pieces = decodeInPieces(input);
    check(whole.messages == pieces.messages, "split changed the messages");
    check(whole.status == pieces.status, "split changed the final status");
    check(sameError(whole.error, pieces.error), "split changed the error");
    check(whole.pending == pieces.pending, "split changed the pending byte count");
    check(whole.status != DecodeStatus::Ok, "drain stopped on Ok");
    check((whole.status == DecodeStatus::Malformed) == whole.error.has_value(),
        "Malformed status and error disagree");

    const Outcome split = decodeWithSplitter(input);
    check(whole.messages == split.messages, "StreamDecoder and FrameSplitter disagree");
    check(whole.status == split.status, "StreamDecoder and FrameSplitter status differ");
    check(sameError(whole.error, split.error), "StreamDecoder and FrameSplitter errors differ");
    if (whole.error)
        check(!whole.error->detail.empty(), "an error without a detail");

    for (std::size_t i = 0; i < split.messages.size(); ++i)
        checkRoundTrip(split.messages[i], split.frames[i]);
    return 0;
}
