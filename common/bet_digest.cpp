#include "common/bet_digest.h"

#include "lottery/protocol/codec.h"

// The low-level SHA-256 interface, deprecated in OpenSSL 3 but kept by it: its context is a
// plain struct, so a running digest can be saved and restored (saveState()), which EVP's opaque
// context cannot. It runs the same assembly as EVP (SHA-NI where the CPU has it).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

namespace lottery {

struct RunningDigest::State {
    SHA256_CTX context;
    State() { SHA256_Init(&context); }
};

RunningDigest::RunningDigest() : m_state(std::make_unique<State>()) { }
RunningDigest::~RunningDigest() = default;
RunningDigest::RunningDigest(const RunningDigest &other)
    : m_state(other.m_state ? std::make_unique<State>(*other.m_state) : nullptr),
      m_bets(other.m_bets)
{
}
RunningDigest &RunningDigest::operator=(const RunningDigest &other)
{
    if (this != &other) {
        m_state = other.m_state ? std::make_unique<State>(*other.m_state) : nullptr;
        m_bets = other.m_bets;
    }
    return *this;
}
RunningDigest::RunningDigest(RunningDigest &&other) noexcept
    : m_state(std::move(other.m_state)), m_bets(other.m_bets)
{
    other.m_state = nullptr;
}
RunningDigest &RunningDigest::operator=(RunningDigest &&other) noexcept
{
    m_state = std::move(other.m_state);
    m_bets = other.m_bets;
    return *this;
}

void RunningDigest::addEncodedBets(std::string_view bytes)
{
    if (!m_state)
        m_state = std::make_unique<State>(); // a moved-from digest starts again, empty
    SHA256_Update(&m_state->context, bytes.data(), bytes.size());
}

void RunningDigest::addBet(const protocol::BetView &bet)
{
    // One buffer per thread, reused: no allocation per bet.
    thread_local std::string encoded;
    encoded.clear();
    protocol::detail::appendBet(encoded, bet);
    addEncodedBets(encoded);
    ++m_bets;
}

protocol::Digest RunningDigest::current() const
{
    protocol::Digest digest {};
    if (!m_state)
        return sha256Of({});
    SHA256_CTX copy = m_state->context;
    SHA256_Final(digest.data(), &copy);
    return digest;
}

std::string RunningDigest::saveState() const
{
    const State empty;
    const SHA256_CTX &context = m_state ? m_state->context : empty.context;
    std::string state;
    state.reserve(40 + SHA256_CBLOCK);
    for (const SHA_LONG word : context.h)
        protocol::appendU32(state, static_cast<std::uint32_t>(word));
    const quint64 bits = (quint64(context.Nh) << 32) | quint64(context.Nl);
    protocol::appendU64(state, bits / 8);
    // OpenSSL keeps the unfinished block's bytes, in order, at the start of `data`.
    state.append(reinterpret_cast<const char *>(context.data), context.num);
    return state;
}

bool RunningDigest::restoreState(std::string_view state, quint64 bets)
{
    if (state.empty()) {
        m_state = std::make_unique<State>();
        m_bets = bets;
        return true;
    }
    if (state.size() < 40)
        return false;
    const auto byteAt = [&](std::size_t i) { return quint64(quint8(state[i])); };
    const auto wordAt = [&](std::size_t at, int bytes) {
        quint64 value = 0;
        for (int i = 0; i < bytes; ++i)
            value = (value << 8) | byteAt(at + std::size_t(i));
        return value;
    };
    const quint64 length = wordAt(32, 8);
    const std::size_t pending = state.size() - 40;
    if (pending != length % SHA256_CBLOCK || length > (quint64(1) << 60))
        return false;
    auto restored = std::make_unique<State>();
    for (int i = 0; i < 8; ++i)
        restored->context.h[i] = static_cast<SHA_LONG>(wordAt(std::size_t(i) * 4, 4));
    const quint64 bits = length * 8;
    restored->context.Nl = static_cast<SHA_LONG>(bits & 0xffffffffu);
    restored->context.Nh = static_cast<SHA_LONG>(bits >> 32);
    std::memcpy(restored->context.data, state.data() + 40, pending);
    restored->context.num = static_cast<unsigned int>(pending);
    m_state = std::move(restored);
    m_bets = bets;
    return true;
}

protocol::Digest sealRoot(const std::vector<SealEntry> &entriesInAgencyOrder)
{
    std::string bytes;
    bytes.reserve(entriesInAgencyOrder.size() * (4 + 8 + protocol::kDigestSize));
    for (const SealEntry &entry : entriesInAgencyOrder) {
        protocol::appendU32(bytes, entry.agency);
        protocol::appendU64(bytes, entry.bets);
        bytes.append(reinterpret_cast<const char *>(entry.digest.data()), entry.digest.size());
    }
    return sha256Of(bytes);
}

protocol::Digest sha256Of(std::string_view bytes)
{
    protocol::Digest digest {};
    unsigned int size = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr);
    return digest;
}

QString digestHex(const protocol::Digest &digest)
{
    return QString::fromLatin1(
        QByteArray(reinterpret_cast<const char *>(digest.data()), int(digest.size())).toHex());
}

bool parseDigestHex(QStringView text, protocol::Digest *digest)
{
    if (text.size() != int(digest->size()) * 2)
        return false;
    for (QChar c : text) {
        if (!c.isDigit() && !(c.toLower() >= u'a' && c.toLower() <= u'f'))
            return false;
    }
    const QByteArray bytes = QByteArray::fromHex(text.toLatin1());
    std::copy(bytes.begin(), bytes.end(), digest->begin());
    return true;
}

} // namespace lottery
