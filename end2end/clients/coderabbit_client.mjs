#!/usr/bin/env node
// npm `@coderabbitai/bitbucket` (a Bitbucket Data Center client generated
// from Atlassian's own OpenAPI document), used as its users use it, against
// a live Tokenwarden.
//
//     node coderabbit_client.mjs <base URL> <username> <password>
//
// The user must administer project WEB, which holds repositories `website`
// and `docs`. Manages project and repository tokens with the password
// (create, list page by page, read, edit, delete), then reads projects and
// repositories page by page with a project token. Prints one JSON object of
// what it saw, for the Rust test to check; any failure exits non-zero.

import { toBase64 } from "@coderabbitai/bitbucket"
import { createBitbucketServerClient } from "@coderabbitai/bitbucket/server"

const [url, username, password] = process.argv.slice(2)
const basic = toBase64(`${username}:${password}`)
const client = (authorization) =>
	createBitbucketServerClient({
		baseUrl: `${url}/rest`,
		headers: { Accept: "application/json", Authorization: authorization },
	})
const manager = client(`Basic ${basic}`)

/** The data of a call that must succeed, with its status. */
async function ok(call) {
	const { data, error, response } = await call
	if (error !== undefined || !response.ok) {
		throw new Error(`${response.status} ${response.url}: ${JSON.stringify(error)}`)
	}
	return { data, status: response.status, response }
}

/** Every value of a paged list, a page of `limit` at a time. */
async function everyPage(list, limit) {
	const values = []
	const pages = []
	let start = 0
	for (let round = 0; round < 50; round++) {
		const { data } = await ok(list({ start, limit }))
		values.push(...data.values)
		pages.push({ start: data.start, size: data.size, isLastPage: data.isLastPage, nextPageStart: data.nextPageStart })
		if (data.isLastPage) return { values, pages }
		start = data.nextPageStart
	}
	throw new Error("more than 50 pages")
}

const seen = {}
seen.properties = (await ok(manager.GET("/api/latest/application-properties"))).data

// Project tokens: three made, listed two per page, then read, edited, deleted.
const project = { projectKey: "WEB" }
const made = []
for (const name of ["first", "second", "third"]) {
	const { data, status } = await ok(
		manager.PUT("/access-tokens/latest/projects/{projectKey}", {
			params: { path: project },
			body: { name, permissions: ["PROJECT_READ", "REPO_READ"], expiryDays: 30 },
		}),
	)
	made.push(data)
	seen.createStatus = status
}
seen.projectTokensHaveSecrets = made.every((t) => typeof t.token === "string" && t.token.length > 20)
const listed = await everyPage(
	(query) => manager.GET("/access-tokens/latest/projects/{projectKey}", { params: { path: project, query } }),
	2,
)
seen.projectTokenPages = listed.pages
seen.projectTokenNames = listed.values.map((t) => t.name)
const first = { ...project, tokenId: made[0].id }
const read = (await ok(manager.GET("/access-tokens/latest/projects/{projectKey}/{tokenId}", { params: { path: first } }))).data
seen.readProjectToken = { name: read.name, hasSecret: "token" in read, userType: read.user?.type }
const edited = (
	await ok(
		manager.POST("/access-tokens/latest/projects/{projectKey}/{tokenId}", {
			params: { path: first },
			body: { permissions: ["PROJECT_WRITE", "REPO_WRITE"] },
		}),
	)
).data
seen.editedProjectToken = { name: edited.name, permissions: edited.permissions }
const deleted = await ok(manager.DELETE("/access-tokens/latest/projects/{projectKey}/{tokenId}", { params: { path: first } }))
seen.deleteStatus = deleted.status
const gone = await manager.GET("/access-tokens/latest/projects/{projectKey}/{tokenId}", { params: { path: first } })
seen.afterDelete = { status: gone.response.status, error: gone.error?.errors?.[0] }

// Repository tokens: the same, at the repository, and one kept for Git.
const repository = { projectKey: "WEB", repositorySlug: "website" }
const repoToken = (
	await ok(
		manager.PUT("/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}", {
			params: { path: repository },
			body: { name: "deploy", permissions: ["REPO_WRITE"], expiryDays: 7 },
		}),
	)
).data
const one = { ...repository, tokenId: repoToken.id }
seen.repoTokenRead = (
	await ok(manager.GET("/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}", { params: { path: one } }))
).data.name
seen.repoTokenEdited = (
	await ok(
		manager.POST("/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}", {
			params: { path: one },
			body: { name: "deploy, renamed" },
		}),
	)
).data.name
const repoTokens = (
	await ok(manager.GET("/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}", { params: { path: repository } }))
).data
seen.repoTokenNames = repoTokens.values.map((t) => t.name)
seen.repoTokenExpiryDays = Math.round((repoToken.expiryDate - repoToken.createdDate) / 86_400_000)
seen.gitToken = repoToken.token
const temporary = (
	await ok(
		manager.PUT("/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}", {
			params: { path: repository },
			body: { name: "temporary", permissions: ["REPO_READ"] },
		}),
	)
).data
seen.temporaryExpiryDate = temporary.expiryDate ?? null
seen.repoDeleteStatus = (
	await ok(
		manager.DELETE("/access-tokens/latest/projects/{projectKey}/repos/{repositorySlug}/{tokenId}", {
			params: { path: { ...repository, tokenId: temporary.id } },
		}),
	)
).status

// The resource API with a project token (Bearer), a page at a time.
const reader = client(`Bearer ${made[1].token}`)
const projects = await ok(reader.GET("/api/latest/projects"))
seen.projects = projects.data.values.map((p) => p.key)
seen.username = projects.response.headers.get("x-ausername")
seen.project = (await ok(reader.GET("/api/latest/projects/{projectKey}", { params: { path: project } }))).data.name
const repos = await everyPage(
	(query) => reader.GET("/api/latest/projects/{projectKey}/repos", { params: { path: project, query } }),
	1,
)
seen.repoPages = repos.pages
seen.repos = repos.values.map((r) => r.slug)
const website = (await ok(reader.GET("/api/latest/projects/{projectKey}/repos/{repositorySlug}", { params: { path: repository } }))).data
seen.website = { slug: website.slug, project: website.project.key, scmId: website.scmId, clone: website.links.clone }

// Refusals come back as Data Center's errors.
const refused = await manager.PUT("/access-tokens/latest/projects/{projectKey}", {
	params: { path: project },
	body: { name: "too long", permissions: ["PROJECT_READ", "REPO_READ"], expiryDays: 1095 },
})
seen.tooLong = { status: refused.response.status, error: refused.error?.errors?.[0] }

console.log(JSON.stringify(seen))
