package click

import (
	"net/http"
	"regexp"
	"strings"
)

// botUA matches user agents of crawlers, link-preview fetchers, monitors and
// HTTP libraries: traffic that is not a person following a link.
var botUA = regexp.MustCompile(`(?i)(bot\b|bot/|crawler|spider|slurp|bingpreview|facebookexternalhit|embedly|quora link preview|` +
	`whatsapp|telegrambot|slackbot|discordbot|skypeuripreview|vkshare|pinterest|redditbot|` +
	`headlesschrome|phantomjs|lighthouse|pingdom|uptimerobot|statuscake|site24x7|` +
	`curl/|wget/|python-requests|python-urllib|aiohttp|go-http-client|okhttp|java/|libwww-perl|httpclient|axios/|node-fetch|scrapy)`)

// Bot reports whether a request is obviously not a person, and why.
func Bot(r *http.Request) (bool, string) {
	ua := r.UserAgent()
	if strings.TrimSpace(ua) == "" {
		return true, "empty_user_agent"
	}
	for _, h := range []string{"Purpose", "Sec-Purpose", "X-Purpose", "X-Moz"} {
		if v := strings.ToLower(r.Header.Get(h)); strings.Contains(v, "prefetch") || strings.Contains(v, "preview") {
			return true, "prefetch"
		}
	}
	if m := botUA.FindString(ua); m != "" {
		return true, "user_agent:" + strings.ToLower(strings.TrimRight(m, "/"))
	}
	return false, ""
}
