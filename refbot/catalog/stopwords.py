"""Stop words dropped from catalog text and queries, Indonesian and English.

The lists are deliberately short: function words only. Words that look like function words
but carry meaning in a library catalog stay searchable — "it" (as in IT, *teknologi
informasi*), "us" (U.S.), numbers, and nouns such as *buku* or *data*.
"""

from __future__ import annotations

_INDONESIAN_TEXT = """
    ada adalah adanya agak agar akan akankah akhirnya aku akulah amat anda andalah antar
    antara antaranya apa apaan apabila apakah apalagi apatah atas atau ataukah ataupun bagai
    bagaikan bagaimana bagaimanakah bagi bahkan bahwa bahwasanya baik banyak beberapa begini
    beginilah begitu begitulah belum belumlah berapa berapakah bersama betapa bila bilamana
    bisa boleh bukan bukankah bukanlah dalam dan dapat dari daripada demi demikian demikianlah
    dengan di dia dialah dimana dirinya disini disitu engkau hal hanya hanyalah harus haruslah
    hingga ia ialah ini inilah itu itulah jadi jika jikalau juga jua justru kalau kalian kami
    kamilah kamu kamulah kan kapan kapankah karena karenanya ke kemudian kenapa kepada kepadanya
    ketika kita kitalah lagi lah lain lainnya lalu maka makanya masih melainkan melalui memang
    mengapa mereka merekalah meski meskipun mungkin mungkinkah namun nanti nya oleh olehnya
    pada padahal padanya para per pula pun saat saja sambil sampai sana sang sangat sangatlah
    saya sayalah se sebab sebabnya sebagai sebagainya sebelum sebelumnya sebuah secara sedang
    sedangkan sedikit sehingga sejak sekali selain selalu selama sementara semua semuanya
    seorang seperti sepertinya serta sesuatu sesudah setelah setiap sini situ suatu sudah
    sudahlah supaya tak tanpa tapi telah tentang tentu tentulah terhadap tersebut tetapi tiap
    tidak tidaklah toh untuk walau walaupun yaitu yakni yang
"""

_ENGLISH_TEXT = """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can cannot could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    its itself just me more most my myself no nor not of off on once only or other ought our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up upon very was we
    were what when where which while who whom why will with within without would you your
    yours yourself yourselves
"""

INDONESIAN = frozenset(_INDONESIAN_TEXT.split())
ENGLISH = frozenset(_ENGLISH_TEXT.split())
STOP_WORDS = INDONESIAN | ENGLISH
"""Every stop word the catalog analyzer drops."""
