"""What a feed wraps around an article that is not the article (pure functions, no I/O).

Feeds pad their entries with the same few kinds of lines in every language: the
WordPress "The post X appeared first on Y", "Continue reading" links, share and
follow prompts, photo credits, legal and privacy notices, comment counters and
permalinks, podcast hosting notices and production credits, and reference or
"related" lists. None of it says what the article says, and a summary made of it
is worse than none.

The rules work on whole lines of :func:`reader.text.html_to_text` output and are
anchored: a line is boilerplate when *all of it* is one of these forms (a short
line that starts with "Photo:", a line that is only "Lire la suite"), not when
a boilerplate word occurs somewhere in it; a real sentence that mentions "privacy"
or "subscribers" stays. The few exceptions are phrases that never occur in
article prose ("All rights reserved", "appeared first on") and even those only
in short lines. The phrases are listed per language, in the languages the corpus
has and the big ones it lacks; rules that need no words (image sizes, comment
counters) work in any.

:func:`strip_boilerplate` also removes the tails that CMSs glue onto the last
sentence of a teaser ("...the city... Leia mais no Massa News!") and the lists
that follow a "Related" / "References" / "Sponsored by" heading.
"""

from __future__ import annotations

import functools
import re

#: Lines longer than this are prose, whatever words they start with.
MAX_BOILERPLATE_LINE = 300

# --- phrases -----------------------------------------------------------------------
# Lower-case, as written in each language; "\s" stands for the space. Order does not
# matter. Keep them whole phrases: a single common word ("more", "share") belongs
# only in _EXACT, where it must be the whole line.

#: "Read more" and its kin: a link to the rest of the article.
_READ_MORE = [
    # en
    r"read more",
    r"read the rest",
    r"read the full (?:article|story|post|review|report|piece|text)",
    r"read full (?:article|story|post|review|text)",
    r"read (?:the )?(?:whole|entire) (?:article|story|post|thing)",
    r"read (?:it|this|the article|the story|on)",
    r"continue reading",
    r"keep reading",
    r"full (?:story|article|post|text)",
    r"more\.\.\.",
    r"\(more\W*\)",
    r"click here to (?:read|continue|see) (?:more|the (?:full|whole|rest))[^.]{0,40}",
    r"to read (?:this|the) (?:full )?(?:article|story|post) in full,? (?:please )?click here",
    r"(?:view|see) (?:the )?(?:full|original|whole) (?:article|story|post)",
    # de
    r"weiterlesen",
    r"mehr lesen",
    r"(?:den )?(?:ganzen|vollständigen|kompletten) (?:artikel|beitrag|text) lesen",
    r"zum (?:vollständigen |ganzen |kompletten )?(?:artikel|beitrag)",
    r"artikel lesen",
    r"hier weiterlesen",
    # fr
    r"lire la suite",
    r"lire plus",
    r"la suite",
    r"lire l[’']article(?: complet| en entier)?",
    r"(?:continuer|poursuivre) la lecture",
    # it
    r"leggi tutto",
    r"leggi di più",
    r"leggi l[’']articolo(?: completo)?",
    r"continua a leggere",
    r"clicca qui per (?:continuare a leggere|leggere)[^.]{0,40}",
    # es
    r"leer más",
    r"lee más",
    r"seguir leyendo",
    r"sigue leyendo",
    r"continuar leyendo",
    r"leer (?:el )?artículo completo",
    # pt
    r"leia mais",
    r"ler mais",
    r"continue lendo",
    r"continuar lendo",
    r"leia (?:a matéria|o artigo|a notícia) completa?",
    # nl, da, sv, no, pl, cs, sk, tr, el, hu, ro, fi
    r"lees (?:verder|meer)",
    r"læs (?:mere|videre)",
    r"läs (?:mer|vidare)",
    r"les (?:mer|videre)",
    r"czytaj (?:dalej|więcej)",
    r"čtěte (?:dále|více)",
    r"číst (?:dál|dále|více)",
    r"čítať ďalej",
    r"devamını oku",
    r"διαβάστε (?:περισσότερα|τη συνέχεια)",
    r"tovább olvasom",
    r"citește (?:mai mult|tot articolul)",
    r"lue lisää",
    # ru, uk
    r"читать (?:далее|дальше|полностью|статью)",
    r"читайте далее",
    r"подробнее",
    r"продолжение следует",
    r"читати (?:далі|повністю)",
    # ja, zh, ko
    r"続きを読む",
    r"続きを見る",
    r"続きはこちら",
    r"もっと(?:読む|見る)",
    r"(?:記事|全文)を(?:読む|見る)",
    r"詳しくはこちら",
    r"詳細はこちら",
    r"阅读全文",
    r"閱讀全文",
    r"阅读更多",
    r"閱讀更多",
    r"查看全文",
    r"继续阅读",
    r"繼續閱讀",
    r"点击阅读全文",
    r"더\s?보기",
    r"계속\s?읽기",
    r"기사\s?(?:전문|원문)\s?보기",
    r"전체\s?기사\s?보기",
    # ar, he, hi
    r"اقرأ المزيد",
    r"קרא עוד",
    r"और पढ़ें",
]

#: "The post X appeared first on Y": WordPress' feed footer, in its translations.
_FIRST_ON = [
    r"the post .{1,300} appeared first on .{1,120}",
    r"the post .{1,300} was first published on .{1,120}",
    r"(?:the )?article .{1,300} (?:was )?(?:first )?published on .{1,120} first",
    r"der (?:beitrag|artikel|post) .{1,300} "
    r"(?:erschien zuerst|ist zuerst erschienen) (?:auf|bei) .{1,120}",
    r"(?:l[’']article|le post|cet article|le billet) .{1,300} est apparu en premier sur .{1,120}",
    r"(?:l[’']articolo|il post) .{1,300} "
    r"(?:sembra essere il primo su|proviene da|è apparso per primo su) .{1,120}",
    r"(?:la entrada|el post|la publicación|el artículo) .{1,300} "
    r"(?:apareció primero en|se publicó primero en) .{1,120}",
    r"(?:o post|a postagem|o artigo) .{1,300} "
    r"(?:apareceu primeiro em|foi publicado primeiro em) .{1,120}",
    r"het bericht .{1,300} verscheen eerst op .{1,120}",
    r"(?:artykuł|wpis) .{1,300} "
    r"(?:pochodzi z serwisu|pojawił się (?:po raz )?pierwszy (?:raz )?(?:w|na)) .{1,120}",
    r"(?:сообщение|запись|статья) .{1,300} "
    r"(?:появились сначала на|впервые появилась на|появилась сначала на) .{1,120}",
    r"投稿\s?.{1,300}\s?は\s?.{1,120}\s?に最初に表示されました。?",
    r"《.{1,300}》一文最先出现在.{1,120}",
    r"文章\s?.{1,300}\s?最先出现在\s?.{1,120}",
    r"게시물 .{1,300} 이 .{1,120}에 처음 등장했습니다\.?",
]

#: Share, follow, subscribe, donate: the feed talking about itself.
_PROMPT = [
    # en
    r"share (?:this|on|via|with)\b.{0,80}",
    r"share:.{0,80}",
    r"tweet (?:this|it)\b.{0,60}",
    r"(?:follow|find|like|connect with) (?:us|me) (?:on|at|via)\b.{0,120}",
    r"follow (?:us|me)\b.{0,60}",
    r"subscribe(?: now| today| here)?(?: (?:to|on|via|for|in|at)\b.{0,120})?",
    r"(?:sign up|register|subscribe) (?:for|to) (?:our|the|my) (?:free |weekly |daily )?"
    r"(?:newsletter|mailing list|channel|podcast)\b.{0,100}",
    r"(?:get|receive) (?:our|the) (?:free |weekly |daily )?newsletter\b.{0,80}",
    r"(?:support|help) (?:us|this show|the show|this podcast|our work)\b.{0,120}",
    r"boost (?:us|this show|the show|this podcast)\b.{0,120}",
    r"become a (?:patron|member|supporter|subscriber)\b.{0,120}",
    r"(?:listen|watch) (?:early and )?ad[- ]free\b.{0,160}",
    r"(?:please )?(?:rate|review) (?:us|this (?:show|podcast)) on\b.{0,80}",
    r"if you (?:like|enjoy|enjoyed) (?:this|the) (?:show|podcast|episode|video|post|article), "
    r"(?:please )?.{0,120}",
    # de
    r"(?:jetzt )?teilen(?: sie)?(?: (?:diesen|den) (?:artikel|beitrag))?"
    r"(?:\s?:.{0,40}| (?:auf|bei|per|via) \S.{0,40})?",
    r"(?:folgen sie|folge|folgt) (?:uns|mir)\b.{0,100}",
    r"(?:jetzt )?(?:abonniere|abonnieren|abonniert)\b.{0,100}",
    r"#?abonniere uns\b.{0,60}",
    r"(?:newsletter|podcast|kanal) abonnieren\b.{0,60}",
    r"jetzt mitglied .{0,60}werden\W*",
    # fr
    r"partage[rz]? (?:cet article|sur|l[’']article|ce billet)\b.{0,60}",
    r"suivez[- ](?:nous|moi)\b.{0,100}",
    r"abonnez[- ]vous\b.{0,100}",
    r"inscrivez[- ]vous (?:à|a) (?:notre|la) (?:newsletter|lettre)\b.{0,80}",
    # it
    r"condividi (?:questo articolo|su)\b.{0,60}",
    r"seguic?i (?:su|anche)\b.{0,80}",
    r"seguici\b.{0,80}",
    r"iscriviti (?:alla|al|a) (?:nostra )?(?:newsletter|canale)\b.{0,80}",
    # es, pt
    r"compart(?:e|ir) (?:este artículo|en)\b.{0,60}",
    r"síguenos\b.{0,80}",
    r"suscríbete\b.{0,80}",
    r"compartilhe\b.{0,60}",
    r"siga-nos\b.{0,80}",
    r"inscreva-se\b.{0,80}",
    # ru
    r"поделиться(?:\s?:.{0,60}| (?:в|во|на) \S.{0,40})?",
    r"подписывайтесь\b.{0,100}",
    r"подпишитесь\b.{0,100}",
    r"следите за (?:нами|новостями)\b.{0,100}",
    # ja, zh, ko
    r"(?:この記事を)?シェアする.{0,40}",
    r"(?:twitter|x|インスタグラム)で?フォロー.{0,40}",
    r"チャンネル登録.{0,60}",
    r"分享到.{0,40}",
    r"(?:欢迎)?关注(?:我们|本号|公众号).{0,60}",
    r"(?:扫码|长按二维码|长按识别二维码).{0,60}",
    r"(?:欢迎)?(?:添加|加入).{0,40}(?:微信|听友群|读者群|社群|粉丝群|交流群).{0,60}",
    r"(?:快来)?点击(?:链接|下方|上方|阅读原文).{0,60}",
    r"点击这里可以开始赞助",
    r"赞助我们",
    r"공유하기",
    r"구독하기",
]

#: Photo credits and captions' credit lines.
_CREDIT = [
    r"(?:photo|photos|photograph|image|images|picture|pictures|illustration|graphic|video|"
    r"foto|fotos|bild|bilder|grafik|titelbild|beitragsbild|"
    r"crédits? photos?|crédit|crédits|fotografia|immagine|imagen|imágenes|fotografía|"
    r"фото|фотография|иллюстрация|изображение|写真|画像|图片来源|图片|圖片來源|图源|사진|출처|"
    r"(?:photo|image|picture|header image|featured image|cover image|top image) credits?|credits?)"
    r"\s*(?:[:：].{0,120}|(?:[|/]|by\b|©)\s*\S.{0,120})",
    r"\(?(?:photo|photograph|image|picture|foto|bild) (?:by|courtesy of|von)\b"
    r".{1,120}\)?",
    r"(?:©|\(c\)\s|copyright\s*(?:©|\(c\)|\d{4}|by\b)).{0,150}",
    r"copyright [^.]{1,60} [-–—|] .{0,100}",
    r".{0,80}/\s?(?:getty images|afp|reuters|ap|dpa|epa|shutterstock|istock|alamy|imago|"
    r"picture alliance)"
    r"(?: via .{1,40})?\)?\.?",
    r"(?:source|sources|quelle|quellen|source ?image|fonte|fuente|источник|出典|来源|出处|來源)"
    r"\s*[:：].{0,100}",
    r"\d{2,5}\s?[x×]\s?\d{2,5}(?:\s?(?:px|pixels?))?(?:\s?\(.{0,40}\))?",  # an image's size
    r"уменьшено до \d+\s?%.{0,20}",
    r"(?:click|tap) (?:to|for) (?:enlarge|zoom|a larger (?:image|version)).{0,20}",
    r"(?:zum vergrößern klicken|cliquez pour agrandir|点击查看大图|クリックで拡大).{0,20}",
    r"此主题相关图片如下[:：]?",
]

#: Legal, privacy and hosting notices; affiliate and advertising labels.
_LEGAL = [
    r"(?:disclaimer|haftungsausschluss|avertissement|clause de non-responsabilité|"
    r"esclusione di responsabilità|descargo de responsabilidad|aviso legal|"
    r"отказ от ответственности|免责声明|免責事項|免責聲明|면책 조항)\s*[:：]"
    # a legal one: an author's "Disclaimer: I simplified this example" is article text
    r"(?=.{0,200}(?:advice|invest|liab|responsib|affiliat|endorse|opinion|sponsor|compensat|"
    r"warrant|informational|not intended|beratung|haftung|conseil|responsabilit|consulenza|"
    r"asesor|consejo|совет|ответствен|投资|建议|責任|助言|投資))"
    r".{0,400}",
    r"(?:this|the) (?:post|article|page|content|video|episode) (?:may )?contains? "
    r"affiliate links?\b.{0,200}",
    r"(?:this |today[’']s )?(?:episode|show|podcast|newsletter|(?:news )?feed|post|video) "
    r"(?:is )?(?:brought to you|sponsored|supported) by\b.{0,120}",
    r".{0,80} (?:is|are) brought to you by\b.{0,80}",
    r"(?:\*|\()?(?:affiliate links?|affiliate-links?|werbung|anzeige|advertisement|advertising|"
    r"publicité|pubblicità|publicidad|publicidade|реклама|広告|广告|sponsored(?: content| post)?|"
    r"partner content|paid content|enthält werbung|bezahlte partnerschaft)\)?",
    r"hosted (?:on|by) (?:acast|simplecast|megaphone|libsyn|anchor|buzzsprout|podbean|"
    r"soundcloud|omny|art19|transistor|captivate|spreaker|podigee|ausha|redcircle)\b.{0,200}",
    r"see .{0,40}(?:/privacy|/listener|/adchoices)\b.{0,200}",
    r"(?:learn more about your ad choices|visit .{0,40}/adchoices)\b.{0,120}",
    r"(?:for|see) (?:our )?privacy (?:information|policy|notice)\b.{0,120}",
    r"本节目由.{1,60}提供.{0,40}",
    r"除非特别说明.{0,200}",
    r"(?:版权声明|版權聲明)(?:[:：].{0,120})?",
    r"(?:本文|本站|本作品).{0,40}(?:版权|版權|许可协议|授權).{0,120}",
    r"(?:转载|轉載)请?(?:注明|联系).{0,120}",
    r"禁止(?:转载|轉載).{0,80}",
    r"無断(?:転載|複製|転用).{0,80}",
    r"(?:editor[’']?s note|anm\. d\. red\.|note de la rédaction|nota della redazione)\s*[:：]\s*"
    r"this (?:post|article|story) was (?:originally|first) published\b.{0,200}",
    r"(?:this|the) (?:post|article|story) was originally (?:published|posted) "
    r"(?:on|at|in|by)\b.{0,200}",
    r"originally (?:published|posted|appeared) (?:on|at) [^,;]{1,80}",
    r"\[?if the formatting looks odd in your feed reader.{0,80}\]?",
    r"(?:this|the) (?:is a )?feed[- ]only (?:post|content).{0,80}",
    r"(?:there is no excerpt because this is a protected post\.?)",
]

#: Links back to the site, comment counters, forum and aggregator chrome.
_CHROME = [
    r"(?:∞\s?)?permalink",
    r"(?:\d+\s)?(?:comments?|kommentare?|commentaires?|commenti|comentarios?|comentários?|"
    r"reacties|komentarze|комментари[йия]|コメント|评论|評論|댓글)(?:\s?\(\d+\))?(?:\s?[:：]\s?\d+)?",
    r"discuss(?: (?:on|at) .{1,40}| this (?:post|article|story)\b.{0,40})?",
    r"\[link\]\s*\[(?:\d[\d,]*\s)?comments?\]",
    r"submitted by\s+/?u?/?\S{1,40}(?:\s+to\s+/?(?:r/)?\S{1,40})?(?:\s*\[link\].{0,40})?",
    r"(?:comments url|article url|points|# comments)\s*:.{0,200}",
    r"(?:view|see|watch|open|read|listen)(?: it| this| the (?:post|article|video|story|thread))? "
    r"(?:on|in|at) (?:github|gitlab|twitter|x|youtube|vimeo|instagram|facebook|reddit|"
    r"mastodon|medium|substack|the web|your browser|browser|the app|app|site|website)\b.{0,40}",
    r"(?:view|see) (?:original|online|in browser|comments|all comments|the discussion)\b.{0,40}",
    r"(?:open|view) in (?:app|browser)",
    r"(?:listen|watch) (?:now|here|online)\b.{0,60}",
    r"download (?:the )?(?:mp3|episode|audio)\b.{0,60}",
    r"(?:direct )?\[?link\]? to the mp3 file",
    r"(?:click|tap) here\b.{0,120}",
    r"(?:please )?click (?:the )?(?:link|button) (?:below|above)\b.{0,120}",
    r"(?:klicke|klicken sie|klickt) hier\b.{0,120}",
    r"cliquez ici\b.{0,120}",
    r"clicca qui\b.{0,120}",
    r"(?:haga|haz) clic aquí\b.{0,120}",
    r"clique aqui\b.{0,120}",
    r"(?:нажмите|кликните) (?:здесь|сюда)\b.{0,120}",
    r"(?:点击这里|点击此处|點擊這裡|こちらをクリック).{0,120}",
    r"(?:weitere|mehr) (?:infos|informationen)(?: und [^.]{1,40})? .{0,80}"
    r"(?:hier|website|webseite|homepage)\W*",
    r"(?:for )?more (?:info|information|details)(?: (?:is|are) available)?,? "
    r"(?:(?:visit|see|go to|check out|at) (?:our (?:web)?site|the (?:web)?site|https?://|www\.|"
    r"\S+\.(?:com|org|net|io|co|fm|tv)\b).{0,80}|here\W*)",
    r"(?:plus d[’']informations?|plus d[’']infos?|maggiori informazioni|más información|"
    r"mais informações|подробная информация)"
    r"\s?(?:[:：]|sur|su|en|em|на|ici|qui|aquí|aqui)\b.{0,80}",
    r"(?:source|via)\s*[:：]?\s*feedburner.{0,40}",
    r"(?:ads? by|powered by|sent (?:from|via)) [\w .&+-]{1,40}",
    r"(?:this page (?:was )?created with|last modified)\b.{0,120}",
]

#: Production credits of podcasts and videos. Matched with case: what follows "by" must
#: be names (capitalised), so "Produced by the BBC, the series follows..." stays.
_NAME = r"[@A-ZÀ-ÖØ-Þ][^,.;:!?]{0,60}"
_NAMES = _NAME + r"(?:(?:,| and| &|, and) " + _NAME + r"){0,6}"
_PRODUCTION = [
    r"(?i:(?:(?:theme |intro |outro |opening |ending |original )?music|"
    r"(?:(?:opening|ending) )?theme|artwork|cover art|logo|sound design|editing|production|"
    r"mixing|mastering)(?: and [a-z ]{1,30})?) (?i:by) " + _NAMES + r"\.?"
    r"(?:,? (?i:[a-z ]{1,30}) by " + _NAMES + r"\.?){0,4}(?: .{0,120})?",
    r"(?i:(?:written|directed|produced|edited|mixed|mastered|hosted|recorded|narrated|"
    r"presented|engineered|created|illustrated|animated)"
    r"(?: and (?:written|directed|produced|edited|mixed|mastered|hosted|recorded))?"
    r" (?:by|at)) " + _NAMES + r"\.?",
    r"(?i:(?:co-)?(?:executive |associate |senior )?(?:producers?|editors?|hosts?|engineers?|"
    r"production|credits|starring|cast|guests?|featuring|also featuring)"
    r"(?: \(in order of appearance\))?)\s?[:：].{0,200}",
    r"(?:产品统筹|统筹|后期|监制|运营|封面|主播|嘉宾|剪辑|录音|场地支持|制作|策划|编辑|责编|作者|出品)"
    r"\s?[/／:：].{0,80}",
    r"(?:制作团队|联系我们|收听平台|本期主播|本期嘉宾|本期主播及嘉宾|听友福利)",
]

#: "Facebook: https://...", "• Twitter - @show", "微博：津津乐道播客": where to find the
#: publisher. The value must be a single token (a handle, an address, a name), so a
#: sentence that starts with "Twitter:" stays.
_CONTACT = (
    r"(?:website|web|site|homepage|home page|blog|email|e-mail|mail|contact|newsletter|rss|"
    r"feed|twitter|x|facebook|instagram|youtube|linkedin|tiktok|telegram|whatsapp|mastodon|"
    r"bluesky|threads|reddit|discord|patreon|github|twitch|snapchat|pinterest|xing|vk|"
    r"вконтакте|telegram group|google\+|微博|微信|公众号|微信公众号|官网|网站|邮箱|知乎|"
    r"知乎专栏|小红书|抖音|bilibili|b站|即刻|豆瓣|ライン|ホームページ)"
    r"(?: (?:fanpage|page|group|channel|account|profile|handle|feed|address))?"
    r"(?:\s*：\s*|:\s+|\s[-–—]\s)\S{1,80}"
)

#: A heading that is boilerplate itself and opens a list that is too: share buttons,
#: follow links, sponsors, related links. Both go.
_PROMO_SECTION = [
    r"share(?: this(?: article| post| story| page)?| on| via)?",
    r"(?:jetzt )?teilen(?: mit| auf)?",
    r"partager(?: cet article| sur)?",
    r"condividi(?: su)?",
    r"compart(?:ir|e|ilhe|ilhar)(?: en| em)?",
    r"поделиться",
    r"シェア(?:する)?",
    r"分享(?:到)?",
    r"follow (?:us|me)(?: on)?",
    r"(?:folgen sie|folge|folgt) (?:uns|mir)(?: auf)?",
    r"suivez[- ]nous(?: sur)?",
    r"seguici(?: su)?",
    r"síguenos(?: en)?",
    r"(?:this episode is |today's episode is )?(?:sponsored|brought to you) by",
    r"(?:thanks to )?our sponsors",
    r"sponsors",
    r"related(?: posts?| articles?| stories| reading| links| content| coverage| news)?",
    r"more (?:on|about) this(?: story| topic)?",
    r"more from .{1,40}",
    r"(?:you (?:may|might) also like|recommended(?: reading| for you)?|popular posts|most read)",
]

#: A heading that opens a list which is not the article: references, sources, further
#: reading. Heading and list go; a heading followed by prose is the article's own.
_SECTION = [
    r"references?",
    r"sources?",
    r"bibliography",
    r"notes and references",
    r"further reading",
    r"see also",
    r"(?:read|see) also",
    r"also read",
    r"lire aussi",
    r"à lire aussi",
    r"a lire aussi",
    r"voir aussi",
    r"sur le même sujet",
    r"(?:nos )?sources",
    r"siehe auch",
    r"mehr zum thema",
    r"lesen sie auch",
    r"auch interessant",
    r"das könnte sie auch interessieren",
    r"quellen?",
    r"weiterführende links",
    r"leggi anche",
    r"potrebbe interessarti(?: anche)?",
    r"fonti",
    r"ver también",
    r"lee también",
    r"te puede interesar",
    r"fuentes",
    r"leia também",
    r"veja também",
    r"fontes",
    r"lees ook",
    r"zie ook",
    r"см\. также",
    r"читайте также",
    r"по теме",
    r"источники?",
    r"литература",
    r"関連記事",
    r"関連リンク",
    r"関連エントリー",
    r"参考文献",
    r"参考リンク",
    r"参考",
    r"出典",
    r"相关阅读",
    r"相关文章",
    r"相关链接",
    r"相关资料",
    r"参考资料",
    r"延伸阅读",
    r"推荐阅读",
    r"相關文章",
    r"相關閱讀",
    r"관련\s?기사",
    r"참고\s?문헌",
    r"문서\s?정보",
    r"文档信息",
]

#: Whole-line words and phrases too short or common for anything but an exact match.
_EXACT = {
    "more",
    "mehr",
    "plus",
    "altro",
    "más",
    "mais",
    "ещё",
    "еще",
    "share",
    "tweet",
    "pin it",
    "email",
    "teilen",
    "partager",
    "condividi",
    "compartir",
    "compartilhar",
    "シェア",
    "ツイート",
    "分享",
    "link",
    "links",
    "[link]",
    "[comments]",
    "learn more",
    "learn more...",
    "mehr erfahren",
    "en savoir plus",
    "saiba mais",
    "scopri di più",
    "más información",
    "meer informatie",
    "узнать больше",
    "詳しく見る",
    "了解更多",
    "go podcasting!",
    "show notes",
    "shownotes",
    "ツッコミを入れる",
    "（完）",
    "(完)",
    "完",
    "back to top",
    "nach oben",
    "haut de page",
    "torna su",
}

# --- matching ------------------------------------------------------------------------

# List markers and arrows a line may start with (not numbers: "11) Read more." is an
# item of a list of tips); punctuation around a phrase that must match exactly.
_LEAD = re.compile(r"^(?:[\s•·◦▪▫■□●○▶►▸➤→⇒»›>\-–—*+~|#]+|[^\w\s©(\[]{1,3}\s)+")
_EDGE_PUNCTUATION = " .,:;!?…»«›‹>→←-–—|*"


def _alternation(patterns: list[str]) -> str:
    return "(?:" + "|".join(patterns) + ")"


#: Letters the regex engine folds together with a plain one under IGNORECASE ("ſ" with
#: "s", "ı" with "i", "ϐ" with "β", "ᲀ" with "в"...), each with that plain letter.
_VARIANTS = {
    "\u00b5": "\u03bc",
    "\u0131": "i",
    "\u017f": "s",
    "\u0345": "\u03b9",
    "\u03c2": "\u03c3",
    "\u03d0": "\u03b2",
    "\u03d1": "\u03b8",
    "\u03d5": "\u03c6",
    "\u03d6": "\u03c0",
    "\u03f0": "\u03ba",
    "\u03f1": "\u03c1",
    "\u03f5": "\u03b5",
    "\u1c80": "\u0432",
    "\u1c81": "\u0434",
    "\u1c82": "\u043e",
    "\u1c83": "\u0441",
    "\u1c84": "\u0442",
    "\u1c85": "\u0442",
    "\u1c86": "\u044a",
    "\u1c87": "\u0463",
    "\u1c88": "\ua64b",
    "\u1e9b": "\u1e61",
    "\u1fbe": "\u03b9",
    "\u1fd3": "\u0390",
    "\u1fe3": "\u03b0",
    "\ufb06": "\ufb05",
}
_TO_PLAIN = str.maketrans(_VARIANTS)
#: The characters for which matching ``text.lower()`` against a lower-case pattern is not
#: the same as matching ``text`` with IGNORECASE: the variants above, "İ" (two characters
#: in lower case) and "Σ" (a final one becomes "ς"). tests/test_boilerplate.py derives
#: both from the running Python again.
CASE_SPECIAL = "".join(_VARIANTS) + "\u0130\u03a3"
_CASE_SPECIAL = re.compile(f"[{CASE_SPECIAL}]")


def lower_for_matching(text: str) -> str | None:
    """``text.lower()``, when a :class:`Caseless` pattern may match it instead of ``text``
    (any text without a :data:`CASE_SPECIAL` character), else None."""
    if text.isascii() or not _CASE_SPECIAL.search(text):
        return text.lower()
    return None


class Caseless:
    """A pattern written in lower case, matched regardless of case, and fast.

    With IGNORECASE the regex engine cannot skip an alternative by its first character,
    and a pattern of hundreds of alternatives (:data:`_LINE`) cost ~6 us a line. The
    same pattern without the flag, matched against the line in lower case, skips them:
    ~3.5 us. For a line without a :data:`CASE_SPECIAL` character both give the same
    answer at the same positions (lower-casing such a line keeps its length), once the
    pattern's own variant letters are written plain ("devamını oku" matches "DEVAMINI
    OKU" with IGNORECASE: "devamini oku" does in lower case). A line with one goes to the
    IGNORECASE pattern, compiled on first use.
    """

    __slots__ = ("_any_case", "lower_case", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.lower_case = re.compile(pattern.translate(_TO_PLAIN))
        self._any_case: re.Pattern[str] | None = None

    @property
    def any_case(self) -> re.Pattern[str]:
        if self._any_case is None:
            self._any_case = re.compile(self.pattern, re.IGNORECASE)
        return self._any_case

    def fullmatch(self, text: str, lowered: str | None) -> re.Match[str] | None:
        """Like ``re.fullmatch(pattern, text, re.IGNORECASE)``; ``lowered`` is
        :func:`lower_for_matching`'s answer for ``text``."""
        if lowered is None:
            return self.any_case.fullmatch(text)
        return self.lower_case.fullmatch(lowered)


_READ_MORE_RE = _alternation(_READ_MORE)
_SITE_TAIL = (
    r"(?:\s+(?:of this (?:story|article|post)\s+)?"
    r"(?:at|on|in|from|no|na|auf|bei|sur|su|en|em|op|на|в)\s+[^.!?]{1,50})?"
)
_LINE = Caseless(
    "(?:"
    + "|".join(
        [
            _READ_MORE_RE + _SITE_TAIL + r"(?:\s*[.!…»›>→]+)?",
            _alternation(_FIRST_ON) + r"\.?",
            _alternation(_PROMPT),
            _alternation(_CREDIT),
            _alternation(_LEGAL),
            _alternation(_CHROME),
            _CONTACT,
            _alternation(_SECTION + _PROMO_SECTION) + r"\s*[:：]\s*\S.{0,250}",  # "Related: X"
        ]
    )
    + ")"
)
_CREDITS = re.compile(_alternation(_PRODUCTION))
#: Phrases that are boilerplate wherever they stand in a short line (lower-case).
_ANYWHERE = (
    "all rights reserved",
    "alle rechte vorbehalten",
    "tous droits réservés",
    "tutti i diritti riservati",
    "todos los derechos reservados",
    "todos os direitos reservados",
    "все права защищены",
    "版权所有",
    "版權所有",
    "無断転載",
    "appeared first on",
    "for privacy information",
    "acast.com/privacy",
    "/adchoices",
    "find us on facebook",
    "find us on twitter",
    "follow us on facebook",
    "follow us on twitter",
    "follow us on instagram",
    "like us on facebook",
    "patreon.com/",
    "欢迎投稿",
    "欢迎转载",
)
_ANYWHERE_MAX = 220
_HEADING_MAX = 60
#: :data:`_ANYWHERE` in one pass (over the line in lower case).
_ANYWHERE_PHRASE = re.compile("|".join(map(re.escape, _ANYWHERE)))
_SECTION_HEADING = Caseless(_alternation(_SECTION) + r"\s*[:：?]?")
_PROMO_HEADING = Caseless(_alternation(_PROMO_SECTION) + r"\s*[:：]?")

#: "...the city... Leia mais no Massa News!", "...the rest. Continue reading →": a
#: boilerplate tail after a sentence end or an ellipsis, on an article's last line.
_TAIL_START = re.compile(r"[.!?…。！？\"”»)\]]")
_TAIL = re.compile(
    r"\s*(?:[\[(]\s*)?"
    "(?:" + _READ_MORE_RE + _SITE_TAIL + "|" + _alternation(_FIRST_ON) + r")\s*[.!…»›>→)\]]*\s*$",
    re.IGNORECASE,
)
_TAIL_HINTS = (  # the most frequent first: most lines have none of them
    "more",
    "read",
    "weiter",
    "lire",
    "leggi",
    "leer",
    "leyendo",
    "leia",
    "ler ",
    "lees",
    "læs",
    "läs",
    "czytaj",
    "читать",
    "подробнее",
    "続き",
    "全文",
    "阅读",
    "閱讀",
    "보기",
    "appeared",
    "erschien",
    "apparu",
    "primo su",
    "proviene",
    "apareci",
    "verscheen",
    "最先",
    "最初に",
    "suite",
)
_ENDS_SENTENCE = re.compile(r"[.!?。！？…]\W{0,3}$")
_LIST_ITEM = re.compile(r"^(?:•|\d{1,3}[.)])\s")

_CONTENT, _BOILERPLATE, _HEADING, _PROMO = 0, 1, 2, 3


def _core(line: str) -> str:
    """The line without list markers and arrows in front, nor outer whitespace."""
    line = line.strip()
    if line[:1].isalnum():
        return line
    return _LEAD.sub("", line).strip()


def _classify(line: str) -> int:
    core = _core(line)
    if not core or len(core) > MAX_BOILERPLATE_LINE:
        return _CONTENT
    kind = _classify_core(core)
    # a heading only when it is not an item of a list ("• More from MacRumors")
    if kind in (_HEADING, _PROMO) and _LIST_ITEM.match(line.lstrip()):
        return _BOILERPLATE
    return kind


@functools.lru_cache(maxsize=4096)
def _classify_core(core: str) -> int:
    """The kind of a line from its core alone (whether it is a list item aside).

    Cached: a feed repeats its footers in every item, and the summariser asks again
    about the sentences that are whole lines (a third of the calls on the corpus).
    """
    folded = core.casefold()
    if folded in _EXACT or folded.strip(_EDGE_PUNCTUATION) in _EXACT:
        return _BOILERPLATE
    if len(core) <= _ANYWHERE_MAX and _ANYWHERE_PHRASE.search(folded):
        return _BOILERPLATE
    lowered = lower_for_matching(core)
    if len(core) <= _HEADING_MAX:
        if _PROMO_HEADING.fullmatch(core, lowered):
            return _PROMO
        if _SECTION_HEADING.fullmatch(core, lowered):
            return _HEADING
    if _LINE.fullmatch(core, lowered) or _CREDITS.fullmatch(core):
        return _BOILERPLATE
    return _CONTENT


def is_boilerplate(line: str) -> bool:
    """True when the whole line is feed boilerplate, in any of the covered languages.

    Meant for single lines or sentences of article text: "Continue reading…",
    "Photo: Reuters", "The post X appeared first on Y.", "Hosted on Acast. See
    acast.com/privacy for more information.", "[link] [comments]", "Related: ...",
    a bare "References" heading. A sentence that merely contains one of the words is
    not boilerplate.
    """
    return bool(line) and _classify(line) != _CONTENT


def _is_list(lines: list[str], *, after_heading: bool) -> bool:
    """Lines that read as a list: bullets or numbers (right after a heading, also one
    short line without a full stop: "Reuters, AP")."""
    if all(_LIST_ITEM.match(line) for line in lines):
        return True
    if after_heading and len(lines) == 1:
        line = lines[0]
        return len(line) <= 120 and not _ENDS_SENTENCE.search(line)
    return False


def strip_tail(line: str) -> str:
    """The line without a "Read more"/"The post ... appeared first on" tail, if it has one."""
    if len(line) < 8:
        return line
    end = line[-420:].casefold()
    for hint in _TAIL_HINTS:  # a loop, not any(): no generator per line (24,845 lines)
        if hint in end:
            break
    else:
        return line
    for end_of_sentence in _TAIL_START.finditer(line, max(0, len(line) - 420)):
        start = end_of_sentence.end()
        if _TAIL.match(line, start):
            kept = line[:start].rstrip()
            # "11) Read more." is a list item, not a sentence with a tail
            return kept if sum(ch.isalpha() for ch in kept) >= 3 else line
    return line


def strip_boilerplate(text: str) -> str:
    """Article text without its boilerplate lines: paragraphs in, paragraphs out.

    Whole lines go (see :func:`is_boilerplate`), a boilerplate tail on a paragraph's
    last line goes, and a "Related" / "References" / "Sponsored by" heading goes with
    the list after it (the rest of its paragraph, or the next paragraph when that is a
    list). A "References" or "Further reading" heading followed by prose stays: then
    it is the article's own. Nothing else changes.
    """
    if not text:
        return ""
    paragraphs = [
        lines
        for lines in ([line for line in p.split("\n") if line.strip()] for p in text.split("\n\n"))
        if lines
    ]
    kept_paragraphs: list[str] = []
    index = 0
    while index < len(paragraphs):
        lines = paragraphs[index]
        index += 1
        kept: list[str] = []
        for position, line in enumerate(lines):
            kind = _classify(line)
            if kind == _CONTENT:
                kept.append(line)
            elif kind in (_HEADING, _PROMO):
                rest = lines[position + 1 :]
                if rest:
                    if _is_list(rest, after_heading=True):
                        break  # the heading and its list
                    if kind == _HEADING:
                        kept.append(line)  # prose follows: the article's own heading
                    continue
                if index < len(paragraphs) and _is_list(paragraphs[index], after_heading=True):
                    index += 1  # the list is the next paragraph: it goes too
                elif index < len(paragraphs) and kind == _HEADING:
                    kept.append(line)  # a heading of the article's own prose
        if kept:
            last = strip_tail(kept[-1])
            # a line kept as it was is content or a heading: only a shortened one is
            # classified again
            if last != kept[-1]:
                kept[-1] = last
                if not last or _classify(last) == _BOILERPLATE:
                    kept.pop()
        if kept:
            kept_paragraphs.append("\n".join(kept))
    return "\n\n".join(kept_paragraphs)
