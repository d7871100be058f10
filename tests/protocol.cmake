# The header-only protocol: codec, stream decoder and bet rules.
# These tests link nothing but the protocol and Qt Test, so they prove it stands alone.
lottery_add_test(tst_protocol_codec LIBS lottery::protocol LABELS protocol TIMEOUT 60)
lottery_add_test(tst_protocol_decoder LIBS lottery::protocol LABELS protocol TIMEOUT 120)
lottery_add_test(tst_bet_rules LIBS lottery::protocol LABELS protocol TIMEOUT 60)

# The fuzz target's oracle, replayed over the committed seed corpus with any compiler, so every
# build checks the corpus; libFuzzer itself only runs with clang and LOTTERY_FUZZ=ON.
add_executable(fuzz_decoder_replay fuzz/fuzz_decoder.cpp fuzz/replay_main.cpp)
target_link_libraries(fuzz_decoder_replay PRIVATE lottery::protocol)
add_test(NAME fuzz_decoder_replay
         COMMAND fuzz_decoder_replay ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus)
set_tests_properties(fuzz_decoder_replay PROPERTIES TIMEOUT 60 LABELS "protocol")

option(LOTTERY_FUZZ "Build the libFuzzer targets (needs clang)" OFF)
if(LOTTERY_FUZZ)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        add_subdirectory(fuzz)
    else()
        message(WARNING "LOTTERY_FUZZ=ON needs clang (CXX=clang++); no fuzz targets are built")
    endif()
endif()

# docs/PROTOCOL.md is the contract: its tables and quoted texts against the code, and against the
# real lottery-server over a socket (so this one also needs the server and the test support).
lottery_add_test(tst_protocol_doc LIBS lottery::protocol lottery_test_support Qt6::Network
    LABELS protocol integration TIMEOUT 120)
if(TARGET lottery-server)
    add_dependencies(tst_protocol_doc lottery-server)
endif()
