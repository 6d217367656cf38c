// Fact modules about people and animals: siblings, parents, partner, children, friends, manager, pets.
import { type Ctx, type FactModule, fmtDay, fmtTime } from "./kit.js";
import {
  CAT_BREEDS,
  CITIES,
  DOG_BREEDS,
  FIRST_NAMES_F,
  FIRST_NAMES_M,
  JOBS,
  KID_ACTIVITIES,
  PET_NAMES,
  SCHOOLS,
  WEEKDAYS,
} from "./vocab.js";

const anyName = (c: Ctx) => (c.rng.chance(0.5) ? FIRST_NAMES_F : FIRST_NAMES_M);

/** Sister and brother in two cities (near-duplicates), and the sister's husband (a two-memory question). */
export const siblings: FactModule = (c) => {
  const { rng } = c;
  const sis = c.take("sister", FIRST_NAMES_F);
  const bro = c.take("brother", FIRST_NAMES_M);
  const sisCity = c.take("sisterCity", CITIES);
  const broCity = c.take("brotherCity", CITIES);
  const s = c.mem("family", [
    `My sister ${sis} lives in ${sisCity}.`,
    `${sis}, my older sister, has been living in ${sisCity} since ${rng.int(2009, 2022)}.`,
    `My little sister ${sis} rents a flat in ${sisCity} now.`,
    `My sister ${sis} moved to ${sisCity} for work a few years ago, so visiting her means a long train ride.`,
    `Family note: my sister ${sis} is settled in ${sisCity} with two cats.`,
  ]);
  const b = c.mem("family", [
    `My brother ${bro} lives in ${broCity}.`,
    `${bro}, my younger brother, stayed in ${broCity} after university.`,
    `My brother ${bro} just bought a small house in ${broCity}.`,
    `My big brother ${bro} has lived in ${broCity} for ${rng.int(3, 15)} years.`,
    `${bro} (my brother) shares an apartment in ${broCity} with two friends.`,
  ]);
  c.ask(
    "near_duplicate",
    [
      "Where does my sister live?",
      "Which city is my sister in these days?",
      "Where is my sister based now?",
      "What city would I travel to if I wanted to visit my sister?",
    ],
    [s],
  );
  c.ask(
    "near_duplicate",
    [
      "Where does my brother live?",
      "Which town is my brother living in?",
      "What city is my brother based in?",
      "If I go and see my brother, which city am I going to?",
    ],
    [b],
  );
  c.ask(
    "name",
    [`Where does ${sis} live?`, `Which city is ${sis} in?`, `What city did ${sis} end up in?`],
    [s],
    [sis],
  );
  c.ask("name", [`Where is ${bro} living these days?`, `Which city does ${bro} call home?`], [b], [bro]);

  const husb = c.take("sisterHusband", FIRST_NAMES_M);
  const job = c.take("sisterHusbandJob", JOBS);
  const h = c.mem("family", [
    `${sis}'s husband ${husb} is a ${job}.`,
    `${husb}, who is married to ${sis}, works as a ${job}.`,
    `${sis} and her husband ${husb} visited last month; he is a ${job} and loves it.`,
  ]);
  c.ask(
    "multi_hop",
    [
      "What does my sister's husband do for a living?",
      "What job does my sister's husband have?",
      "What is the profession of the man my sister married?",
    ],
    [s, h],
  );
  c.ask("name", [`What does ${husb} do for work?`, `What is ${husb}'s job?`], [h], [husb]);
};

/** Mother's birthday (a date) and father's retirement hobby. */
export const parents: FactModule = (c) => {
  const { rng } = c;
  const mom = c.take("mother", FIRST_NAMES_F);
  const d = c.day();
  const gift = rng.pick([
    "orchids",
    "crossword books",
    "good olive oil",
    "anything with lavender",
    "jigsaw puzzles",
  ]);
  const m = c.mem("family", [
    `Mom's birthday is on ${fmtDay(rng, d)}.`,
    `My mother ${mom} turns ${rng.int(58, 79)} on ${fmtDay(rng, d)}.`,
    `Don't forget Mum's birthday, ${fmtDay(rng, d)}; she loves ${gift}.`,
    `${mom} (my mom) celebrates her birthday on ${fmtDay(rng, d)} with a big lunch.`,
  ]);
  c.ask(
    "date",
    [
      `Whose birthday is on ${fmtDay(rng, d)}?`,
      `What is happening on ${fmtDay(rng, d)}?`,
      `Is there anything I need to remember for ${fmtDay(rng, d)}?`,
      `Why is ${fmtDay(rng, d)} circled in my calendar?`,
    ],
    [m],
    [d.month, String(d.day)],
  );
  c.ask(
    "paraphrase",
    [
      "On what day was my mother born?",
      "When should I call Mum to sing to her?",
      "Which date do I celebrate my mom getting a year older?",
      "When does the woman who raised me get a year older?",
      "What day should flowers arrive for my mother?",
    ],
    [m],
  );

  const dad = c.take("father", FIRST_NAMES_M);
  const hobby = rng.pick([
    "restoring old clocks",
    "growing tomatoes on his allotment",
    "building model ships",
    "birdwatching at the reservoir",
    "playing bridge at the club",
    "baking sourdough",
  ]);
  const f = c.mem("family", [
    `My dad ${dad} is retired and spends his days ${hobby}.`,
    `Since retiring, Dad (${dad}) has been ${hobby} almost every afternoon.`,
    `${dad}, my father, retired in ${rng.int(2015, 2023)} and now he is obsessed with ${hobby}.`,
  ]);
  c.ask(
    "paraphrase",
    [
      "How does my father fill his time now that he has stopped working?",
      "What keeps my old man busy these days?",
      "What pastime has Dad taken up since leaving his career?",
      "What occupies my father now that he no longer has a job?",
    ],
    [f],
  );
  c.ask("name", [`What is ${dad} up to these days?`, `How does ${dad} spend his time?`], [f], [dad]);
};

/** How the user met their partner, and their anniversary. */
export const partner: FactModule = (c) => {
  const { rng } = c;
  const p = c.take("partner", anyName(c));
  const year = rng.int(2008, 2021);
  const where = rng.pick([
    "a friend's barbecue",
    "a salsa class",
    "the climbing gym",
    "a train that was delayed for three hours",
    "a pub quiz",
    "a volunteering day at the food bank",
  ]);
  const met = c.mem("partner", [
    `${p} and I met at ${where} in ${year}.`,
    `I first met my partner ${p} at ${where}, back in ${year}.`,
    `Funny story: ${p} and I got talking at ${where} in ${year} and have been together since.`,
  ]);
  c.ask(
    "paraphrase",
    [
      "How did I first run into the person I'm with?",
      "Where did my relationship begin?",
      "Where did I first see my significant other?",
      "How did the love of my life and I cross paths?",
    ],
    [met],
  );
  c.ask(
    "name",
    [`Where did I meet ${p}?`, `How did ${p} and I get together?`, `In which year did I meet ${p}?`],
    [met],
    [p],
  );
  const d = c.day();
  const ann = c.mem("partner", [
    `Our anniversary is ${fmtDay(rng, d)}; ${p} likes a quiet dinner out.`,
    `Anniversary with ${p}: ${fmtDay(rng, d)}. Book somewhere nice.`,
    `${p} and I celebrate our anniversary on ${fmtDay(rng, d)}.`,
  ]);
  c.ask(
    "date",
    [
      `What are we celebrating on ${fmtDay(rng, d)}?`,
      `Why do I need to book a table for ${fmtDay(rng, d)}?`,
      `What is special about ${fmtDay(rng, d)}?`,
    ],
    [ann],
    [d.month, String(d.day)],
  );
  c.ask(
    "paraphrase",
    [
      "When is the day we mark another year as a couple?",
      "Which date do we toast to being together?",
      "When did our relationship start, the date we commemorate?",
    ],
    [ann],
  );
};

/** A son and a daughter (near-duplicates), which one is older (two memories), and the son's weekly activity. */
export const kids: FactModule = (c) => {
  const { rng } = c;
  const son = c.take("son", FIRST_NAMES_M);
  const dau = c.take("daughter", FIRST_NAMES_F);
  const sonAge = rng.int(5, 12);
  const dauAge = sonAge + rng.pick([-3, -2, -1, 1, 2, 3]);
  const school = c.take("school", SCHOOLS);
  const k1 = c.mem("kids", [
    `My son ${son} is ${sonAge} and goes to ${school}.`,
    `${son}, our boy, is ${sonAge} years old and in class ${sonAge - 4} at ${school}.`,
    `Our son ${son} turned ${sonAge} this spring; he is at ${school} now.`,
  ]);
  const k2 = c.mem("kids", [
    `My daughter ${dau} is ${dauAge} and is mad about dinosaurs.`,
    `${dau}, our girl, is ${dauAge} years old and learning to read.`,
    `Our daughter ${dau} turned ${dauAge} in the autumn; she wants to be a vet.`,
  ]);
  c.ask("near_duplicate", ["How old is my daughter?", "What age is my daughter now?"], [k2]);
  c.ask("near_duplicate", ["How old is my son?", "What school does my son go to?"], [k1]);
  c.ask(
    "multi_hop",
    [
      "Which of my kids is older?",
      "Who is older, my son or my daughter?",
      "Which of my children was born first?",
    ],
    [k1, k2],
  );
  const act = c.take("kidActivity", KID_ACTIVITIES);
  const wd = rng.pick(WEEKDAYS);
  const t = fmtTime(rng);
  const k3 = c.mem("kids", [
    `My son ${son} has ${act} every ${wd} at ${t}.`,
    `${act} for ${son} (our son): ${wd}s, ${t}, don't forget the kit bag.`,
    `Our son ${son}'s ${act} moved to ${wd} at ${t}.`,
  ]);
  c.ask("name", [`When does ${son} have ${act}?`, `What day is ${son}'s ${act}?`], [k3], [son]);
  c.ask(
    "paraphrase",
    ["When do I need to drive my boy to his lesson?", "Which day does the lad have his weekly session?"],
    [k3],
  );
};

/** Two friends with different jobs in different cities: only the name tells them apart. */
export const friends: FactModule = (c) => {
  const { rng } = c;
  const f1 = c.take("friend1", anyName(c));
  const f2 = c.take("friend2", anyName(c));
  const j1 = c.take("friend1Job", JOBS);
  const j2 = c.take("friend2Job", JOBS);
  const c1 = c.take("friend1City", CITIES);
  const c2 = c.take("friend2City", CITIES);
  const m1 = c.mem("friends", [
    `My friend ${f1} is a ${j1} in ${c1}.`,
    `${f1}, a friend from university, works as a ${j1} in ${c1}.`,
    `Caught up with my old friend ${f1}: still a ${j1}, still living in ${c1}.`,
  ]);
  const group = rng.pick(["book club", "running club", "old job", "choir"]);
  const m2 = c.mem("friends", [
    `My friend ${f2} from the ${group} is a ${j2} in ${c2}.`,
    `${f2}, who I know from the ${group}, works as a ${j2} in ${c2}.`,
    `Had coffee with ${f2} from the ${group}, who is a ${j2} based in ${c2} now.`,
  ]);
  c.ask(
    "name",
    [`What does ${f1} do for work?`, `Where does ${f1} live?`, `What is ${f1}'s job?`],
    [m1],
    [f1],
  );
  c.ask("name", [`What does ${f2} do?`, `Which city is ${f2} in?`, `Where is ${f2} based?`], [m2], [f2]);
  c.ask("near_duplicate", [`Which of my friends works as a ${j1}?`, `Who do I know that is a ${j1}?`], [m1]);
  c.ask("near_duplicate", [`Which friend of mine lives in ${c2}?`, `Do I know anyone in ${c2}?`], [m2]);
};

/** A friend's wedding: a date, a name, a place. */
export const wedding: FactModule = (c) => {
  const { rng } = c;
  const f = c.take("weddingFriend", anyName(c));
  const other = c.take("weddingOther", anyName(c));
  const city = c.take("weddingCity", CITIES);
  const d = c.day();
  const w = c.mem("events", [
    `${f}'s wedding is on ${fmtDay(rng, d)} in ${city}.`,
    `Invited to ${f} and ${other}'s wedding in ${city} on ${fmtDay(rng, d)}.`,
    `Need a suit for ${f}'s wedding: ${fmtDay(rng, d)}, ${city}.`,
  ]);
  c.ask(
    "date",
    [`Where do I need to be on ${fmtDay(rng, d)}?`, `What's happening on ${fmtDay(rng, d)}?`],
    [w],
    [d.month, String(d.day)],
  );
  c.ask("name", [`When is ${f} getting married?`, `Where is ${f}'s wedding?`], [w], [f]);
  c.ask(
    "paraphrase",
    [
      "Whose nuptials am I attending?",
      "Which couple is tying the knot and expecting me there?",
      "Whose big day am I invited to?",
      "Which friends are getting hitched?",
    ],
    [w],
  );
};

/** The user's manager and their weekly one-to-one. */
export const manager: FactModule = (c) => {
  const { rng } = c;
  const mgr = c.take("manager", anyName(c));
  const wd = rng.pick(WEEKDAYS.slice(0, 5));
  const t = fmtTime(rng);
  const m = c.mem("work", [
    `My manager is ${mgr}; our one-to-one is every ${wd} at ${t}.`,
    `Weekly check-in with ${mgr} (my manager) on ${wd}s at ${t}.`,
    `${mgr} became my manager this year; we meet ${wd} at ${t}.`,
  ]);
  c.ask(
    "paraphrase",
    [
      "Who is my boss?",
      "Who do I report to at work?",
      "Who is my line supervisor?",
      "Who is in charge of me at the office?",
    ],
    [m],
  );
  c.ask("name", [`When do I meet ${mgr}?`, `What day is my meeting with ${mgr}?`], [m], [mgr]);
};

/** A dog and a cat (near-duplicates), which is older (two memories), and the dog's vet appointment. */
export const pets: FactModule = (c) => {
  const { rng } = c;
  const dog = c.take("dog", PET_NAMES);
  const cat = c.take("cat", PET_NAMES);
  const breed = rng.pick(DOG_BREEDS);
  const catBreed = rng.pick(CAT_BREEDS);
  const dogAge = rng.int(2, 12);
  const catAge = dogAge + rng.pick([-2, -1, 1, 2, 3]);
  const d = c.mem("pets", [
    `Our dog ${dog} is a ${breed} and is ${dogAge} years old.`,
    `${dog}, our ${breed}, is ${dogAge} and still acts like a puppy.`,
    `${dog} the ${breed} turned ${dogAge} and needs two walks a day.`,
  ]);
  const ct = c.mem("pets", [
    `We also have a cat, ${cat}, a ${catBreed} who is ${catAge}.`,
    `${cat} is our ${catAge}-year-old ${catBreed} cat.`,
    `Our cat ${cat} (${catBreed}, age ${catAge}) sleeps on the radiator all winter.`,
  ]);
  c.ask("near_duplicate", ["What breed is our dog?", "What kind of dog do we have?"], [d]);
  c.ask("near_duplicate", ["What breed is our cat?", "What kind of cat do we have?"], [ct]);
  c.ask("name", [`What kind of animal is ${cat}?`, `How old is ${cat}?`], [ct], [cat]);
  c.ask("name", [`How old is ${dog}?`, `What breed is ${dog}?`], [d], [dog]);
  c.ask("multi_hop", ["Which of our pets is older?", "Is the dog older than the cat?"], [d, ct]);
  c.ask(
    "paraphrase",
    [
      "What sort of pooch do we own?",
      "What type of hound lives with us?",
      "What kind of pup is ours?",
      "What breed is our four-legged walking companion?",
    ],
    [d],
  );
  const vd = c.day();
  const t = fmtTime(rng);
  const v = c.mem("pets", [
    `${dog} has a vet appointment on ${fmtDay(rng, vd)} at ${t}.`,
    `Vet check-up for ${dog}: ${fmtDay(rng, vd)}, ${t}, bring the vaccination card.`,
    `Booked ${dog} in with the vet for ${fmtDay(rng, vd)} at ${t}.`,
  ]);
  c.ask(
    "date",
    [`What is on ${fmtDay(rng, vd)}?`, `Do I have anything on ${fmtDay(rng, vd)}?`],
    [v],
    [vd.month, String(vd.day)],
  );
  c.ask(
    "paraphrase",
    [
      "When is the animal clinic visit?",
      "When does our pup see the animal doctor?",
      "When are the jabs for our hound?",
    ],
    [v],
  );
};
