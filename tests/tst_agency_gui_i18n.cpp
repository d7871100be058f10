// agency-gui in each language: the window built in English, then in Spanish (the catalogs from
// the program's resources, as main() installs them), every visible text compared widget by
// widget. In Spanish no text may be its English source (numbers and a few names excepted); the
// .ts files of agency-gui, agency-cli and the agency library are complete (every message
// translated and finished, none left as its English source); every server error code and every
// invalid row's reason (the library's messages, shown by the window) has its Spanish sentence.
#include "agency_window.h"
#include "invalid_rows_model.h"
#include "support/invalid_rows.h"

#include "common/translations.h"
#include "lottery/agency/user_messages.h"

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
#include <QXmlStreamReader>

using namespace lottery;
using lottery::agency::UserMessages;
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

// The catalogs agency-gui installs (main.cpp).
QStringList guiCatalogs()
{
    return {QStringLiteral("agency"), UserMessages::catalog()};
}

struct TsProblem {
    QString source;
    QString what;
};

// Every <message> of a .ts whose translation is missing, empty, not finished (unfinished,
// vanished, obsolete) or its English source word for word.
QList<TsProblem> tsProblems(QIODevice *device, int *messages)
{
    // Spanish spells these the same.
    static const QStringList sameInSpanish {QStringLiteral("Error: %1: %2")};
    QList<TsProblem> problems;
    QXmlStreamReader xml(device);
    QString source;
    *messages = 0;
    while (!xml.atEnd()) {
        if (xml.readNext() != QXmlStreamReader::StartElement)
            continue;
        if (xml.name() == QLatin1String("message")) {
            ++*messages;
        } else if (xml.name() == QLatin1String("source")) {
            source = xml.readElementText();
        } else if (xml.name() == QLatin1String("translation")) {
            const QString type = xml.attributes().value(QLatin1String("type")).toString();
            // A plural message keeps its forms in <numerusform> children.
            const QString text = xml.readElementText(QXmlStreamReader::IncludeChildElements);
            if (!type.isEmpty() && type != QLatin1String("finished"))
                problems.append({source, QStringLiteral("type=\"%1\"").arg(type)});
            else if (text.trimmed().isEmpty())
                problems.append({source, QStringLiteral("empty translation")});
            else if (text == source && !sameInSpanish.contains(source))
                problems.append({source, QStringLiteral("left in English")});
        }
    }
    if (xml.hasError())
        problems.append({xml.errorString(), QStringLiteral("not a valid .ts")});
    return problems;
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
    QTest::newRow("agency library")
        << QStringLiteral("agency/translations/lottery_agency_es_AR.ts");
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
    QVERIFY(file.seek(0));
    int messages = 0;
    QStringList problems;
    for (const TsProblem &problem : tsProblems(&file, &messages))
        problems << QStringLiteral("%1: '%2'").arg(problem.what, problem.source);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    QVERIFY(messages > 50);
}

void TestAgencyGuiI18n::spanishWindowHasNoEnglishLeft()
{
    const QMap<QString, QString> english = visibleTexts();
    QVERIFY(installTranslations(Language::Spanish, guiCatalogs()));
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
    QVERIFY(installTranslations(Language::English, guiCatalogs()));
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
    const QString english = UserMessages::forErrorCode(errorCode);
    QVERIFY(!english.contains(QLatin1String("unknown error")));
    for (int other = 1; other <= 17; ++other) {
        if (other != code)
            QVERIFY(UserMessages::forErrorCode(static_cast<protocol::ErrorCode>(other)) != english);
    }
    installTranslations(Language::Spanish, guiCatalogs());
    const QString spanish = UserMessages::forErrorCode(errorCode);
    QVERIFY2(spanish != english, qPrintable(english));
}

void TestAgencyGuiI18n::invalidRowReasonsTranslated_data()
{
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QString>("spanish");
    for (const lottery::testing::InvalidRowCase &c : lottery::testing::invalidRowCases())
        QTest::newRow(c.name) << c.reason << c.spanish;
}

// What the window's table of invalid rows shows (its reason column), in Spanish.
void TestAgencyGuiI18n::invalidRowReasonsTranslated()
{
    QFETCH(QString, reason);
    QFETCH(QString, spanish);
    QVERIFY(installTranslations(Language::Spanish, guiCatalogs()));
    gui::InvalidRowsModel model;
    model.setRows({agency::InvalidRow {7, reason}});
    QCOMPARE(model.data(model.index(0, gui::InvalidRowsModel::ReasonColumn)).toString(), spanish);
}

QTEST_MAIN(TestAgencyGuiI18n)
#include "tst_agency_gui_i18n.moc"
