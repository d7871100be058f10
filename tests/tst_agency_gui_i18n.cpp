// agency-gui in each language: the window built in English, then in Spanish (the catalog from the
// program's resources, as main() installs it), every visible text compared widget by widget. In
// Spanish no text may be its English source (numbers and a few names excepted); both .ts files
// are complete (no unfinished or vanished entry); every server error code has its own message.
#include "agency_window.h"
#include "user_messages.h"

#include "common/translations.h"

#include <QAbstractButton>
#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMap>
#include <QRegularExpression>
#include <QTableView>
#include <QTest>
#include <QTranslator>

using namespace lottery;
using lottery::gui::AgencyWindow;

namespace {

// What a person reads in the window, keyed by where it is.
QMap<QString, QString> visibleTexts()
{
    QMap<QString, QString> texts;
    AgencyWindow window(nullptr);
    texts.insert(QStringLiteral("windowTitle"), window.windowTitle());
    int index = 0;
    for (QWidget *widget : window.findChildren<QWidget *>()) {
        const QString key = QStringLiteral("%1#%2:%3")
                                .arg(widget->metaObject()->className())
                                .arg(index++)
                                .arg(widget->objectName());
        if (!widget->toolTip().isEmpty())
            texts.insert(key + QStringLiteral(".toolTip"), widget->toolTip());
        if (auto *label = qobject_cast<QLabel *>(widget))
            texts.insert(key + QStringLiteral(".text"), label->text());
        if (auto *button = qobject_cast<QAbstractButton *>(widget))
            texts.insert(key + QStringLiteral(".text"), button->text());
        if (auto *edit = qobject_cast<QLineEdit *>(widget))
            texts.insert(key + QStringLiteral(".placeholder"), edit->placeholderText());
        if (auto *box = qobject_cast<QGroupBox *>(widget))
            texts.insert(key + QStringLiteral(".title"), box->title());
        if (auto *combo = qobject_cast<QComboBox *>(widget)) {
            for (int i = 0; i < combo->count(); ++i)
                texts.insert(key + QStringLiteral(".item%1").arg(i), combo->itemText(i));
        }
        if (auto *table = qobject_cast<QTableView *>(widget)) {
            for (int c = 0; c < table->model()->columnCount(); ++c)
                texts.insert(key + QStringLiteral(".header%1").arg(c),
                    table->model()->headerData(c, Qt::Horizontal).toString());
        }
    }
    texts.remove(QString()); // keys of empty texts are harmless but useless
    return texts;
}

void removeTranslators()
{
    for (QTranslator *translator : qApp->findChildren<QTranslator *>()) {
        QCoreApplication::removeTranslator(translator);
        delete translator;
    }
}

bool allowedUntranslated(const QString &text)
{
    static const QRegularExpression numeric(QStringLiteral("^[\\d\\s.,:%/-]*$"));
    // The language names are written in their own language on purpose.
    static const QStringList names {
        QStringLiteral("English"), QString::fromUtf8("Español"), QStringLiteral("OK")};
    return text.trimmed().isEmpty() || numeric.match(text).hasMatch() || names.contains(text);
}

} // namespace

class TestAgencyGuiI18n : public QObject
{
    Q_OBJECT

private slots:
    void cleanup() { removeTranslators(); }
    void tsFilesComplete_data();
    void tsFilesComplete();
    void spanishWindowHasNoEnglishLeft();
    void englishWindowIsTheSource();
    void everyErrorCodeHasItsOwnMessage_data();
    void everyErrorCodeHasItsOwnMessage();
    void invalidRowReasonsTranslated_data();
    void invalidRowReasonsTranslated();
};

void TestAgencyGuiI18n::tsFilesComplete_data()
{
    QTest::addColumn<QString>("path");
    QTest::newRow("agency-gui") << QStringLiteral("agency-gui/translations/agency_es_AR.ts");
    QTest::newRow("agency-cli") << QStringLiteral("agency-cli/translations/agency_cli_es_AR.ts");
}

void TestAgencyGuiI18n::tsFilesComplete()
{
    QFETCH(QString, path);
    QFile file(QStringLiteral(LOTTERY_SOURCE_DIR "/") + path);
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
    const QByteArray ts = file.readAll();
    QVERIFY(ts.contains("language=\"es_AR\""));
    QVERIFY2(!ts.contains("type=\"unfinished\""), "run lupdate, then translate the new entries");
    QVERIFY2(!ts.contains("type=\"vanished\""), "stale entries: lupdate -no-obsolete");
    QVERIFY(ts.count("<message") > 50);
}

void TestAgencyGuiI18n::spanishWindowHasNoEnglishLeft()
{
    const QMap<QString, QString> english = visibleTexts();
    QVERIFY(installTranslations(Language::Spanish, {QStringLiteral("agency")}));
    const QMap<QString, QString> spanish = visibleTexts();
    QCOMPARE(spanish.keys(), english.keys());
    QStringList untranslated;
    for (auto it = english.cbegin(); it != english.cend(); ++it) {
        if (!allowedUntranslated(it.value()) && spanish.value(it.key()) == it.value())
            untranslated << QStringLiteral("%1 = '%2'").arg(it.key(), it.value());
    }
    QVERIFY2(untranslated.isEmpty(), qPrintable(untranslated.join(QLatin1Char('\n'))));
    QCOMPARE(spanish.value(QStringLiteral("windowTitle")),
        QString::fromUtf8("Lotería: subida de la agencia"));
}

void TestAgencyGuiI18n::englishWindowIsTheSource()
{
    QVERIFY(installTranslations(Language::English, {QStringLiteral("agency")}));
    QCOMPARE(visibleTexts().value(QStringLiteral("windowTitle")),
        QString::fromUtf8("Lotería: agency upload"));
}

void TestAgencyGuiI18n::everyErrorCodeHasItsOwnMessage_data()
{
    QTest::addColumn<int>("code");
    for (int code = 1; code <= 17; ++code)
        QTest::newRow(protocol::toString(static_cast<protocol::ErrorCode>(code))) << code;
}

void TestAgencyGuiI18n::everyErrorCodeHasItsOwnMessage()
{
    QFETCH(int, code);
    const auto errorCode = static_cast<protocol::ErrorCode>(code);
    const QString english = gui::userMessageFor(errorCode);
    QVERIFY(!english.contains(QLatin1String("unknown error")));
    for (int other = 1; other <= 17; ++other) {
        if (other != code)
            QVERIFY(gui::userMessageFor(static_cast<protocol::ErrorCode>(other)) != english);
    }
    installTranslations(Language::Spanish, {QStringLiteral("agency")});
    const QString spanish = gui::userMessageFor(errorCode);
    QVERIFY2(spanish != english, qPrintable(english));
}

void TestAgencyGuiI18n::invalidRowReasonsTranslated_data()
{
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QString>("spanish");
    QTest::newRow("empty name") << "first_name is empty"
                                << "falta el nombre";
    QTest::newRow("digits") << "document has more than 12 digits"
                            << QString::fromUtf8("el documento tiene más de 12 dígitos");
    QTest::newRow("future") << "birthdate is in the future"
                            << QString::fromUtf8("la fecha de nacimiento está en el futuro");
    QTest::newRow("fields") << "expected 5 fields, found 4"
                            << "se esperaban 5 campos y hay 4";
    QTest::newRow("unknown stays") << "something new"
                                   << "something new";
}

void TestAgencyGuiI18n::invalidRowReasonsTranslated()
{
    QFETCH(QString, reason);
    QFETCH(QString, spanish);
    installTranslations(Language::Spanish, {QStringLiteral("agency")});
    QCOMPARE(gui::UserMessages::forInvalidRow(reason), spanish);
}

QTEST_MAIN(TestAgencyGuiI18n)
#include "tst_agency_gui_i18n.moc"
